//! Reading the process's configuration from its environment.

/// The variable `name`, unless it is unset or blank (a template leaves unused ones empty).
pub fn non_empty_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.trim().is_empty())
}
