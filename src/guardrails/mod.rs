//! The service-wide path: guardrails that keep what trailwatch manages from being undone.
//! `scp.rs`: a service control policy denying the writes that break the chain.

pub(crate) mod scp;
