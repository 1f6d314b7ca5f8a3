//! GL2xx: over-provisioning, more access than least privilege allows.

mod common;
mod gl201_sensitive_broad_grant;
mod gl202_sensitive_without_end;
mod gl203_sensitive_without_approval;
mod gl204_temporary_past_end_date;
mod gl205_termination_not_enforced;

use crate::registry::Rule;

pub(crate) fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &gl201_sensitive_broad_grant::SensitiveBroadGrant,
        &gl202_sensitive_without_end::SensitiveWithoutEnd,
        &gl203_sensitive_without_approval::SensitiveWithoutApproval,
        &gl204_temporary_past_end_date::TemporaryPastEndDate,
        &gl205_termination_not_enforced::TerminationNotEnforced,
    ]
}
