//! The AWS Secrets Manager adapter of [`SecretSource`]: `GetSecretValue` of the current
//! version (`AWSCURRENT`). Built like the other SDK clients (`aws_http`): no network call at
//! construction; the first read connects.

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata};

use super::{SecretError, SecretSource};
use aws_config::SdkConfig;

use crate::aws_http::{EnvConfigError, sdk_config_from_env, service_endpoint};

/// Secrets in Secrets Manager.
#[derive(Debug, Clone)]
pub struct SecretsManager {
    client: Client,
}

impl SecretsManager {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// The source of a Lambda function: [`sdk_config_from_env`], on
    /// `AWS_ENDPOINT_URL_SECRETS_MANAGER` when set (moto). No network call.
    pub fn from_env() -> Result<Self, EnvConfigError> {
        Ok(Self::from_config(&sdk_config_from_env()?))
    }

    /// The source on `config`, on `AWS_ENDPOINT_URL_SECRETS_MANAGER` when set. No network call.
    pub fn from_config(config: &SdkConfig) -> Self {
        let mut builder = aws_sdk_secretsmanager::config::Builder::from(config);
        if let Some(url) = service_endpoint("SECRETS_MANAGER") {
            builder = builder.endpoint_url(url);
        }
        Self::new(Client::from_conf(builder.build()))
    }

    /// The client (tests create and rotate secrets on the emulator with it).
    pub fn client(&self) -> &Client {
        &self.client
    }
}

#[async_trait]
impl SecretSource for SecretsManager {
    async fn read(&self, id: &str) -> Result<String, SecretError> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .map_err(|err| {
                let cause = DisplayErrorContext(&err).to_string();
                let id = id.to_owned();
                // Missing or forbidden is the deployment's fault and will not heal by retrying;
                // anything else (throttling, a timeout, the service's 5xx) may.
                match err.code() {
                    Some("ResourceNotFoundException" | "AccessDeniedException" | "InvalidRequestException") => {
                        SecretError::Denied { id, cause }
                    }
                    _ => SecretError::Unavailable { id, cause },
                }
            })?;
        output.secret_string.ok_or_else(|| SecretError::Malformed {
            id: id.to_owned(),
            cause: "the secret has no text value (SecretString)".to_owned(),
        })
    }
}
