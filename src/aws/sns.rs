//! SNS: a topic's attributes and subscriptions (reads), and the three writes trailwatch makes:
//! `CreateTopic`, `SetTopicAttributes(Policy)` and `Subscribe`.

use aws_sdk_sns::Client;

use crate::error::Error;
use crate::observed::{Subscription, Tags, Topic};
use aws_sdk_sns::types::Tag;

fn region_of(client: &Client) -> String {
    super::region_name(client.config().region())
}

/// `sns:GetTopicAttributes`: `exists: false` when SNS says the topic is not there.
pub async fn topic(client: &Client, arn: &str) -> Result<Topic, Error> {
    match client.get_topic_attributes().topic_arn(arn).send().await {
        Ok(out) => {
            let attrs = out.attributes();
            let get = |k: &str| {
                attrs
                    .and_then(|a| a.get(k))
                    .filter(|v| !v.is_empty())
                    .cloned()
            };
            Ok(Topic {
                arn: arn.to_string(),
                exists: true,
                policy: get("Policy"),
                kms_master_key_id: get("KmsMasterKeyId"),
                kms_key: None,
                subscriptions: None,
                read_error: None,
                tags: None,
            })
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_not_found_exception()) =>
        {
            Ok(Topic {
                arn: arn.to_string(),
                exists: false,
                ..Default::default()
            })
        }
        Err(e) => Err(Error::aws("sns:GetTopicAttributes", &region_of(client), e)),
    }
}

/// `sns:ListSubscriptionsByTopic`, following `NextToken`. `Ok(None)` when the topic is not found.
pub async fn subscriptions(client: &Client, arn: &str) -> Result<Option<Vec<Subscription>>, Error> {
    let mut subs = Vec::new();
    let mut pages = client
        .list_subscriptions_by_topic()
        .topic_arn(arn)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let out = match page {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_not_found_exception()) =>
            {
                return Ok(None)
            }
            Err(e) => {
                return Err(Error::aws(
                    "sns:ListSubscriptionsByTopic",
                    &region_of(client),
                    e,
                ))
            }
        };
        for s in out.subscriptions() {
            crate::redact::register_endpoint(s.endpoint().unwrap_or_default());
        }
        subs.extend(out.subscriptions().iter().map(|s| Subscription {
            arn: s.subscription_arn().unwrap_or_default().to_string(),
            protocol: s.protocol().unwrap_or_default().to_string(),
            endpoint: s.endpoint().unwrap_or_default().to_string(),
        }));
    }
    Ok(Some(subs))
}

/// `sns:CreateTopic` with these tags -> the topic ARN.
pub async fn create_topic(client: &Client, name: &str, tags: &Tags) -> Result<String, Error> {
    let mut req = client.create_topic().name(name);
    for (key, value) in tags {
        let tag = Tag::builder().key(key).value(value).build();
        req =
            req.tags(tag.map_err(|e| Error::aws_other("sns:CreateTopic", &region_of(client), e))?);
    }
    let out = req
        .send()
        .await
        .map_err(|e| Error::aws("sns:CreateTopic", &region_of(client), e))?;
    Ok(out.topic_arn().unwrap_or_default().to_string())
}

/// `sns:ListTagsForResource` of a topic.
pub async fn topic_tags(client: &Client, arn: &str) -> Result<Tags, Error> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| Error::aws("sns:ListTagsForResource", &region_of(client), e))?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

/// `sns:TagResource` of a topic: adds or replaces these tags, keeps the others.
pub async fn tag_topic(client: &Client, arn: &str, tags: &Tags) -> Result<(), Error> {
    let mut req = client.tag_resource().resource_arn(arn);
    for (key, value) in tags {
        let tag = Tag::builder().key(key).value(value).build();
        req =
            req.tags(tag.map_err(|e| Error::aws_other("sns:TagResource", &region_of(client), e))?);
    }
    req.send()
        .await
        .map_err(|e| Error::aws("sns:TagResource", &region_of(client), e))?;
    Ok(())
}

/// `sns:SetTopicAttributes` for `Policy`.
pub async fn set_policy(client: &Client, arn: &str, policy: &str) -> Result<(), Error> {
    client
        .set_topic_attributes()
        .topic_arn(arn)
        .attribute_name("Policy")
        .attribute_value(policy)
        .send()
        .await
        .map_err(|e| Error::aws("sns:SetTopicAttributes", &region_of(client), e))?;
    Ok(())
}

/// `sns:Subscribe` -> the subscription ARN, or `pending confirmation` until the receiver confirms.
pub async fn subscribe(
    client: &Client,
    arn: &str,
    protocol: &str,
    endpoint: &str,
) -> Result<String, Error> {
    let out = client
        .subscribe()
        .topic_arn(arn)
        .protocol(protocol)
        .endpoint(endpoint)
        // No ReturnSubscriptionArn: with it AWS returns an ARN even while the subscription is
        // pending, hiding that the receiver must still confirm.
        .send()
        .await
        .map_err(|e| Error::aws("sns:Subscribe", &region_of(client), e))?;
    Ok(out.subscription_arn().unwrap_or_default().to_string())
}

/// `sns:Publish` of a plain-text message -> the message id.
pub async fn publish(
    client: &Client,
    arn: &str,
    subject: &str,
    message: &str,
) -> Result<String, Error> {
    let out = client
        .publish()
        .topic_arn(arn)
        .subject(subject)
        .message(message)
        .send()
        .await
        .map_err(|e| Error::aws("sns:Publish", &region_of(client), e))?;
    Ok(out.message_id().unwrap_or_default().to_string())
}
