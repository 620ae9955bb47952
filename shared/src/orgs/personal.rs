//! The Cognito post-confirmation trigger: every new account gets its personal organization.
//! The same idempotent logic runs when `GET /orgs` finds the user in no organization.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::App;
use aws_lambda_events::event::cognito::CognitoEventUserPoolsPostConfirmation;
use std::collections::HashMap;

/// Creates the personal organization for the confirmed user (no-op if it exists) and returns the
/// event unchanged, as Cognito expects. An error fails the sign-up confirmation so Cognito retries.
pub async fn on_post_confirmation(
    app: &App,
    event: CognitoEventUserPoolsPostConfirmation,
) -> Result<CognitoEventUserPoolsPostConfirmation, ApiError> {
    let attributes: HashMap<String, String> =
        event.request.user_attributes.clone().into_iter().collect();
    let caller = Caller::from_claims(&attributes).ok_or_else(|| {
        ApiError::new(
            crate::error::Code::InvalidEvent,
            "The event has no usable `sub` attribute.",
        )
    })?;
    match super::handlers::ensure_personal_org(app, &caller).await? {
        Some(org) => tracing::info!(org_id = %org.org_id, "personal organization created"),
        None => tracing::info!("personal organization already exists"),
    }
    Ok(event)
}
