//! The only code that calls the AWS SDK: one small module per service, each turning SDK types
//! into `observed` data (reads) or sending one planned `WriteRequest` (writes).

pub mod cloudtrail;
pub mod cloudwatch;
pub mod kms;
pub mod logs;
pub mod sns;
pub mod sts;
