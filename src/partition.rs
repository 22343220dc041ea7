//! AWS partitions and the regions each holds: one table for topic ARNs, fleet regions and the
//! role ARNs fleet mode assumes.

/// `(partition, region prefix)`: a region belongs to the partition whose prefix it starts with;
/// every other region is in `aws`.
const TABLE: &[(&str, &str)] = &[
    ("aws-cn", "cn-"),
    ("aws-us-gov", "us-gov-"),
    ("aws-iso", "us-iso-"),
    ("aws-iso-b", "us-isob-"),
    ("aws-iso-e", "eu-isoe-"),
    ("aws-iso-f", "us-isof-"),
    ("aws-eusc", "eusc-"),
];

/// The commercial partition: every region no other partition claims.
pub(crate) const AWS: &str = "aws";

/// The partition of a region (`cn-north-1` -> `aws-cn`, `us-isob-east-1` -> `aws-iso-b`).
pub(crate) fn of_region(region: &str) -> &'static str {
    TABLE
        .iter()
        .find(|(_, prefix)| region.starts_with(prefix))
        .map_or(AWS, |(p, _)| p)
}

/// Whether `id` names an AWS partition.
pub(crate) fn is_known(id: &str) -> bool {
    id == AWS || TABLE.iter().any(|(p, _)| *p == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_their_partition() {
        for (region, partition) in [
            ("us-east-1", "aws"),
            ("eu-west-1", "aws"),
            ("cn-north-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("us-isof-south-1", "aws-iso-f"),
            ("eusc-de-east-1", "aws-eusc"),
        ] {
            assert_eq!(of_region(region), partition, "{region}");
            assert!(is_known(partition));
        }
        assert!(!is_known("nope"));
        assert!(!is_known("aws-iso-x"));
    }
}
