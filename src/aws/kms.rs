//! KMS reads: the key that encrypts an SNS topic, resolved from whatever the topic names (alias,
//! alias ARN, key id or key ARN), and its key policy. No writes: trailwatch never edits a key
//! policy, it only says which statement the key's owner must add.

use aws_sdk_kms::types::KeyManagerType;
use aws_sdk_kms::Client;

use crate::error::Error;
use crate::observed::KmsKey;

fn region_of(client: &Client) -> String {
    super::region_name(client.config().region())
}

/// `kms:DescribeKey` (resolves aliases; tells AWS-managed from customer-managed keys), then, for a
/// customer-managed key, `kms:GetKeyPolicy` (policy `default`). A failure is recorded on the key.
pub async fn key(client: &Client, id: &str) -> KmsKey {
    let mut key = KmsKey {
        id: id.to_string(),
        ..Default::default()
    };
    let region = region_of(client);
    let described = match client.describe_key().key_id(id).send().await {
        Ok(out) => out,
        Err(e) => {
            key.read_error = Some(Error::aws("kms:DescribeKey", &region, e).to_string());
            return key;
        }
    };
    let Some(meta) = described.key_metadata() else {
        key.read_error = Some("kms:DescribeKey returned no key metadata".into());
        return key;
    };
    key.arn = meta.arn().map(str::to_string);
    key.manager = meta.key_manager().map(|m| m.as_str().to_string());
    key.state = meta.key_state().map(|s| s.as_str().to_string());
    if meta.key_manager() != Some(&KeyManagerType::Customer) {
        return key;
    }
    match client
        .get_key_policy()
        .key_id(meta.key_id())
        .policy_name("default")
        .send()
        .await
    {
        Ok(out) => key.policy = out.policy().map(str::to_string),
        Err(e) => key.read_error = Some(Error::aws("kms:GetKeyPolicy", &region, e).to_string()),
    }
    key
}
