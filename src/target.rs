//! A target: one account in one region, with the credentials to reach it.
//!
//! Every AWS read and write is aimed at a `Target`; there is no global client. Clients for other
//! regions (a trail's home region, the log group's region) are made from the same credentials.

use aws_config::{BehaviorVersion, Region, SdkConfig};

use crate::error::Error;

/// One account x region x credentials.
#[derive(Clone)]
pub struct Target {
    /// The region the user aimed at.
    pub region: String,
    config: SdkConfig,
}

impl std::fmt::Debug for Target {
    // Never print the SdkConfig: it holds the credentials provider.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// Load the standard AWS credential chain (`--profile`, environment, SSO, instance roles);
    /// `AWS_ENDPOINT_URL` is honoured by the SDK itself.
    pub async fn load(profile: Option<&str>, region: Option<&str>) -> Result<Target, Error> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http_client())
            .retry_config(retry_config())
            .timeout_config(timeout_config());
        let mut sso: Option<(String, &'static str)> = None;
        if let Some(p) = profile {
            // Named as the user gave it: the flag, or the environment variable.
            let given_as =
                if std::env::args().any(|a| a == "--profile" || a.starts_with("--profile=")) {
                    "--profile"
                } else {
                    "AWS_PROFILE"
                };
            sso = check_profile(p, given_as)
                .await?
                .then(|| (p.to_string(), given_as));
            loader = loader.profile_name(p);
        }
        if let Some(r) = region {
            loader = loader.region(Region::new(r.to_string()));
        }
        let config = loader.load().await;
        // An SSO profile without a valid token fails at the first call with a cause that does
        // not say what to do (`No such file or directory`, `failed to load the cached SSO
        // token`): ask for its credentials now and say it.
        if let Some((p, given_as)) = sso {
            use aws_credential_types::provider::ProvideCredentials;
            if let Some(provider) = config.credentials_provider() {
                if let Err(e) = provider.provide_credentials().await {
                    let mut cause: &dyn std::error::Error = &e;
                    while let Some(next) = cause.source() {
                        cause = next;
                    }
                    return Err(Error::BadInput {
                        what: given_as,
                        value: p.clone(),
                        why: format!(
                            "signs in with AWS SSO and has no valid session ({cause}): run `aws sso login --profile {p}`"
                        ),
                    });
                }
            }
        }
        let region = config
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| Error::BadInput {
                what: "region",
                value: String::new(),
                why: "no region given: pass --region or set AWS_REGION".into(),
            })?;
        Ok(Target { region, config })
    }

    /// A target from an already loaded configuration (used by fleet mode and tests).
    pub fn from_config(config: SdkConfig, region: &str) -> Target {
        Target {
            region: region.to_string(),
            config,
        }
    }

    /// The same credentials' view of another account: assume `role_arn` (with `session`'s name
    /// and source identity, and an optional external id) and aim at `region`. The credentials
    /// are fetched once here, so a role that cannot be assumed fails now with its own error, and
    /// are fetched again if the run outlives them.
    pub async fn assume(
        &self,
        role_arn: &str,
        external_id: Option<&str>,
        region: &str,
        session: &Session,
    ) -> Result<Target, Error> {
        use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
        let provider = Refreshing {
            inner: AssumeRole {
                sts: aws_sdk_sts::Client::new(&self.config_in(region)),
                role_arn: role_arn.to_string(),
                external_id: external_id.map(str::to_string),
                session: session.clone(),
            },
            cached: std::sync::Arc::new(std::sync::Mutex::new(None)),
        };
        if let Err(e) = provider.provide_credentials().await {
            let mut cause: &dyn std::error::Error = &e;
            while let Some(next) = cause.source() {
                cause = next;
            }
            return Err(Error::Aws {
                operation: "sts:AssumeRole",
                region: region.to_string(),
                code: None,
                message: crate::redact::text(&format!("cannot assume {role_arn}: {cause}")),
                detail: crate::redact::text(&format!("{e:?}")),
            });
        }
        let config = self
            .config
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .region(Region::new(region.to_string()))
            .build();
        Ok(Target {
            region: region.to_string(),
            config,
        })
    }

    /// The same credentials, aimed at another region.
    pub fn in_region(&self, region: &str) -> Target {
        Target {
            region: region.to_string(),
            config: self.config_in(region),
        }
    }

    fn config_in(&self, region: &str) -> SdkConfig {
        self.config
            .to_builder()
            .region(Region::new(region.to_string()))
            .build()
    }

    pub fn sts(&self) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&self.config_in(&self.region))
    }
    /// Organizations is global: its client follows the target's region to the partition's endpoint.
    pub fn organizations(&self) -> aws_sdk_organizations::Client {
        aws_sdk_organizations::Client::new(&self.config_in(&self.region))
    }
    pub fn cloudtrail(&self, region: &str) -> aws_sdk_cloudtrail::Client {
        aws_sdk_cloudtrail::Client::new(&self.config_in(region))
    }
    pub fn logs(&self, region: &str) -> aws_sdk_cloudwatchlogs::Client {
        aws_sdk_cloudwatchlogs::Client::new(&self.config_in(region))
    }
    pub fn cloudwatch(&self, region: &str) -> aws_sdk_cloudwatch::Client {
        aws_sdk_cloudwatch::Client::new(&self.config_in(region))
    }
    pub fn kms(&self, region: &str) -> aws_sdk_kms::Client {
        aws_sdk_kms::Client::new(&self.config_in(region))
    }
    pub fn sns(&self, region: &str) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::new(&self.config_in(region))
    }
    pub fn securityhub(&self, region: &str) -> aws_sdk_securityhub::Client {
        aws_sdk_securityhub::Client::new(&self.config_in(region))
    }
}

/// One HTTP client for every AWS client of the run (each target, region and assumed role): one
/// connection pool and one TLS set-up instead of one per client. Left to the SDK, every client
/// builds its own, and a fleet of 1000 accounts held 156 MiB instead of (measured after) the
/// figures in the README. Built as the SDK builds its default: rustls with aws-lc, HTTP(S)
/// proxies from the environment, connectors cached per timeout settings.
fn http_client() -> aws_sdk_sts::config::SharedHttpClient {
    use aws_smithy_http_client::{proxy::ProxyConfig, tls, Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut conn = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
}

/// Retries, set explicitly (not left to the SDK's defaults or the environment): standard mode,
/// 4 attempts per call, exponential backoff with full jitter starting at 200 ms, at most 5 s.
/// Throttling, 500 and 503 answers and timeouts are retried; anything else fails at once.
pub fn retry_config() -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard()
        .with_max_attempts(4)
        .with_initial_backoff(std::time::Duration::from_millis(200))
        .with_max_backoff(std::time::Duration::from_secs(5))
}

/// Timeouts: 5 s to connect, 10 s per attempt, 30 s per call with its retries. With every call
/// failing, a run gives up after its first call: within 30 s, usually about 2 s of backoff.
pub fn timeout_config() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .operation_attempt_timeout(std::time::Duration::from_secs(10))
        .operation_timeout(std::time::Duration::from_secs(30))
        .build()
}

/// A named profile must exist in the shared config or credentials files; otherwise the SDK
/// silently falls back to no region and no credentials, and the user is told the wrong thing.
/// Whether the profile signs in with AWS SSO (IAM Identity Center): `Ok(true)` then.
async fn check_profile(name: &str, given_as: &'static str) -> Result<bool, Error> {
    use aws_types::os_shim_internal::{Env, Fs};
    let bad = |why: String| Error::BadInput {
        what: given_as,
        value: name.to_string(),
        why,
    };
    let files = aws_runtime::env_config::file::EnvConfigFiles::default();
    let set = aws_config::profile::load(&Fs::real(), &Env::real(), &files, None)
        .await
        .map_err(|e| bad(format!("the AWS config files cannot be read: {e}")))?;
    let Some(profile) = set.get_profile(name) else {
        return Err(bad(
            "no such profile in the AWS config or credentials files (see `aws configure list-profiles`)"
                .into(),
        ));
    };
    Ok(profile.get("sso_start_url").is_some() || profile.get("sso_session").is_some())
}

/// Who the sessions trailwatch opens in member accounts say they are, in CloudTrail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// `RoleSessionName` (`--session-name`, default `trailwatch`).
    pub name: String,
    /// `SourceIdentity` (`--source-identity`): needs `sts:SetSourceIdentity` in the role's trust.
    pub source_identity: Option<String>,
}

impl Default for Session {
    fn default() -> Session {
        Session {
            name: "trailwatch".into(),
            source_identity: None,
        }
    }
}

/// `sts:AssumeRole` with a session name, an optional external id and an optional source
/// identity (the SDK's own provider cannot set a source identity).
#[derive(Debug)]
struct AssumeRole {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    external_id: Option<String>,
    session: Session,
}

impl AssumeRole {
    async fn fetch(
        &self,
    ) -> Result<
        aws_credential_types::Credentials,
        aws_credential_types::provider::error::CredentialsError,
    > {
        use aws_credential_types::provider::error::CredentialsError;
        let out = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(&self.session.name)
            .set_external_id(self.external_id.clone())
            .set_source_identity(self.session.source_identity.clone())
            .send()
            .await
            .map_err(|e| {
                let text = match (
                    aws_sdk_sts::error::ProvideErrorMetadata::code(&e),
                    aws_sdk_sts::error::ProvideErrorMetadata::message(&e),
                ) {
                    (Some(c), Some(m)) => format!("{c}: {m}"),
                    _ => aws_sdk_sts::error::DisplayErrorContext(&e).to_string(),
                };
                CredentialsError::provider_error(text)
            })?;
        let c = out.credentials().ok_or_else(|| {
            CredentialsError::provider_error("AssumeRole returned no credentials")
        })?;
        let expiry = std::time::SystemTime::try_from(*c.expiration()).ok();
        Ok(aws_credential_types::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            expiry,
            "trailwatch-assume-role",
        ))
    }
}

/// Assumed-role credentials fetched once and reused until five minutes before they expire, then
/// fetched again: one `sts:AssumeRole` per account for a normal run, and a run that outlives the
/// session keeps working.
#[derive(Debug)]
struct Refreshing {
    inner: AssumeRole,
    cached: std::sync::Arc<std::sync::Mutex<Option<aws_credential_types::Credentials>>>,
}

impl aws_credential_types::provider::ProvideCredentials for Refreshing {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            let fresh = |c: &aws_credential_types::Credentials| {
                c.expiry().is_none_or(|e| {
                    e > std::time::SystemTime::now() + std::time::Duration::from_secs(300)
                })
            };
            if let Some(c) = self.cached.lock().ok().and_then(|g| g.clone()) {
                if fresh(&c) {
                    return Ok(c);
                }
            }
            let c = self.inner.fetch().await?;
            if let Ok(mut g) = self.cached.lock() {
                *g = Some(c.clone());
            }
            Ok(c)
        })
    }
}
