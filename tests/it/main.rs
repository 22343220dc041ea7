//! The integration tests, one binary (each file a module): the real binary and library against
//! the emulator (moto behind the CBOR adapter, `tests/support`), and the SDK boundary with
//! `aws-smithy-mocks` where the emulator is kinder than AWS.

#[path = "../support/mod.rs"]
mod support;

mod all_controls;
mod apply_outcome;
mod bad_input;
mod emulator_adapter;
mod fleet;
mod guardrails;
mod iac;
mod least_privilege;
mod ownership;
mod real_accounts;
mod refusals;
mod runbooks;
mod safety;
mod scenarios;
mod sdk_boundary;
mod verdicts;
