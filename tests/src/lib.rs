//! Helpers shared by the integration tests: emulator endpoints, fresh stores, the app.

pub mod app;
pub mod bookings;
pub mod faults;
pub mod journey;
pub mod local_aws;
pub mod localstripe;
pub mod mail;
pub mod moto;
pub mod photos;
pub mod recording;
pub mod reviews;
pub mod search;
pub mod sqs;

/// Runs each listed case (an `async fn(TestApp)` of the calling test file) once per store, as
/// the tests `sqlite::<case>` and `dynamo::<case>`, each on a fresh app.
#[macro_export]
macro_rules! on_both_stores {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::app::spawn_app($crate::app::Backend::Sqlite).await).await;
                }
            )*
        }
        mod dynamo {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::app::spawn_app($crate::app::Backend::Dynamo).await).await;
                }
            )*
        }
    };
}

/// Names each scenario run (an `async fn` of the calling test file and its arguments) as a
/// test of its own: `name: scenario(args);` becomes `#[tokio::test] async fn name()`.
#[macro_export]
macro_rules! scenarios {
    ($($name:ident: $scenario:ident($($arg:expr),* $(,)?);)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $scenario($($arg),*).await;
            }
        )*
    };
}
