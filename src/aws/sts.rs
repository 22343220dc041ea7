//! STS: who the credentials belong to.

use crate::error::Error;

/// `sts:GetCallerIdentity` -> the account id.
pub async fn account(client: &aws_sdk_sts::Client) -> Result<String, Error> {
    let region = super::region_name(client.config().region());
    let out = client
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| Error::aws("sts:GetCallerIdentity", &region, e))?;
    Ok(out.account().unwrap_or_default().to_string())
}
