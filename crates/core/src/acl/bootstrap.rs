//! ACL bootstrap: the one-time creation of the first management token, which an operator can
//! allow once more by naming the index of the previous bootstrap (Nomad's reset index).

use drover_model::AclToken;
use drover_model::acl::token_type;
use drover_model::time::format_rfc3339;

use super::AclError;

/// Whether a bootstrap may run now. `bootstrapped_at` is the index of the previous bootstrap;
/// `reset_index` the index the operator gave to allow another one (0 when none). Also call
/// this when ACLs are off: the answer is then "ACL support disabled".
pub fn check_bootstrap(
    acls_enabled: bool,
    bootstrapped_at: Option<u64>,
    reset_index: u64,
) -> Result<(), AclError> {
    if !acls_enabled {
        return Err(AclError::AclsDisabled);
    }
    match bootstrapped_at {
        None => Ok(()),
        Some(done) if reset_index == 0 => Err(AclError::BootstrapDone { reset_index: done }),
        Some(done) if reset_index != done => Err(AclError::BootstrapResetIndex {
            specified: reset_index,
            reset_index: done,
        }),
        Some(_) => Ok(()),
    }
}

/// The bootstrap management token. `secret_id` is the caller's freshly generated secret,
/// replaced by `provided_secret` when the request brings one, which must be a UUID. The
/// store sets the indexes.
pub fn bootstrap_token(
    accessor_id: String,
    secret_id: String,
    provided_secret: Option<&str>,
    now_unix_nanos: i64,
) -> Result<AclToken, AclError> {
    let secret_id = match provided_secret {
        None | Some("") => secret_id,
        Some(provided) if super::token::is_uuid(provided) => provided.to_owned(),
        Some(_) => return Err(AclError::InvalidBootstrapSecret),
    };
    Ok(AclToken {
        accessor_id,
        secret_id,
        name: "Bootstrap Token".to_owned(),
        token_type: token_type::MANAGEMENT.to_owned(),
        global: true,
        create_time: format_rfc3339(now_unix_nanos),
        ..AclToken::default()
    })
}
