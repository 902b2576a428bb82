//! Reads the functions of `template.yaml`: which binary answers which route, and which
//! run on a schedule or from a queue. The local API serves exactly these.

use serde_yaml::Value;

/// The template the local API was built with; `ROOST_TEMPLATE` may point at another file.
pub const BUILT_IN: &str = include_str!("../../template.yaml");

/// What starts a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// An HTTP API route: method in upper case, path in API Gateway syntax (`/users/{id}`).
    Http { method: String, path: String },
    /// An EventBridge schedule.
    Schedule,
    /// An SQS queue, by its logical id in the template.
    Queue { queue: String },
}

/// One function of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    pub logical_id: String,
    /// `Metadata.BuildProperties.Binary`: the crate under `functions/`.
    pub binary: String,
    pub triggers: Vec<Trigger>,
}

/// Why the template cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template.yaml is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("template.yaml has no Resources")]
    NoResources,
    #[error("function {0} has no Metadata.BuildProperties.Binary")]
    NoBinary(String),
    #[error("function {logical_id}: event {event} lacks {field}")]
    Incomplete {
        logical_id: String,
        event: String,
        field: &'static str,
    },
}

/// Every `AWS::Serverless::Function` of `yaml` with its triggers.
pub fn functions(yaml: &str) -> Result<Vec<FunctionSpec>, TemplateError> {
    let doc: Value = serde_yaml::from_str(yaml)?;
    let resources = doc
        .get("Resources")
        .and_then(Value::as_mapping)
        .ok_or(TemplateError::NoResources)?;
    let mut specs = Vec::new();
    for (id, resource) in resources {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let logical_id = id.as_str().unwrap_or_default().to_owned();
        let binary = resource
            .get("Metadata")
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|p| p.get("Binary"))
            .and_then(Value::as_str)
            .ok_or_else(|| TemplateError::NoBinary(logical_id.clone()))?
            .to_owned();
        let mut triggers = Vec::new();
        if let Some(events) = resource
            .get("Properties")
            .and_then(|p| p.get("Events"))
            .and_then(Value::as_mapping)
        {
            for (name, event) in events {
                let event_name = name.as_str().unwrap_or_default();
                let field = |field: &'static str| TemplateError::Incomplete {
                    logical_id: logical_id.clone(),
                    event: event_name.to_owned(),
                    field,
                };
                let properties = event.get("Properties");
                match event.get("Type").and_then(Value::as_str) {
                    Some("HttpApi") => {
                        let method = properties
                            .and_then(|p| p.get("Method"))
                            .and_then(Value::as_str)
                            .ok_or_else(|| field("Properties.Method"))?;
                        let path = properties
                            .and_then(|p| p.get("Path"))
                            .and_then(Value::as_str)
                            .ok_or_else(|| field("Properties.Path"))?;
                        triggers.push(Trigger::Http {
                            method: method.to_uppercase(),
                            path: path.to_owned(),
                        });
                    }
                    Some("Schedule" | "ScheduleV2") => triggers.push(Trigger::Schedule),
                    Some("SQS") => {
                        // `Queue: !GetAtt BookingEventsQueue.Arn` parses as a tagged value.
                        let queue = properties
                            .and_then(|p| p.get("Queue"))
                            .map(queue_logical_id)
                            .ok_or_else(|| field("Properties.Queue"))?;
                        triggers.push(Trigger::Queue { queue });
                    }
                    _ => {}
                }
            }
        }
        specs.push(FunctionSpec {
            logical_id,
            binary,
            triggers,
        });
    }
    specs.sort_by(|a, b| a.binary.cmp(&b.binary));
    Ok(specs)
}

pub(crate) fn queue_logical_id(value: &Value) -> String {
    let text = match value {
        Value::Tagged(tagged) => tagged.value.as_str().unwrap_or_default().to_owned(),
        other => other.as_str().unwrap_or_default().to_owned(),
    };
    text.split('.').next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_template_parses_with_routes() {
        let specs = functions(BUILT_IN).unwrap();
        let health = specs.iter().find(|s| s.binary == "health").unwrap();
        assert_eq!(
            health.triggers,
            vec![Trigger::Http {
                method: "GET".into(),
                path: "/health".into()
            }]
        );
        assert!(specs.iter().all(|s| !s.triggers.is_empty()));
    }
}
