//! The handlers this process can run, by binary name: the same `handle` functions the
//! Lambda binaries call. Start-up matches them against `template.yaml` both ways.

use futures::future::BoxFuture;
use shared::App;
use shared::aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::http::{HandlerResult, Request};

/// An HTTP handler.
pub type HttpHandler = fn(&'static App, Request) -> BoxFuture<'static, HandlerResult>;

/// A scheduled job; the error text is logged.
pub type ScheduledHandler = fn(&'static App) -> BoxFuture<'static, Result<(), String>>;

/// An SQS consumer: a batch in, the ids to retry out.
pub type ConsumerHandler = fn(&'static App, SqsEvent) -> BoxFuture<'static, SqsBatchResponse>;

/// What kind of function a binary is.
#[derive(Clone, Copy)]
pub enum Handler {
    Http(HttpHandler),
    Scheduled(ScheduledHandler),
    Consumer(ConsumerHandler),
}

/// An HTTP handler that needs the app.
macro_rules! http {
    ($function:ident) => {
        Handler::Http(|app, req| Box::pin($function::handle(app, req)))
    };
}

/// A scheduled job: its crate's one-pass function, errors as text for the log.
macro_rules! scheduled {
    ($function:ident :: $pass:ident) => {
        Handler::Scheduled(|app| {
            Box::pin(async move { $function::$pass(app).await.map(|_| ()).map_err(|err| err.to_string()) })
        })
    };
}

/// An SQS consumer. A failed invocation (Lambda would retry the whole batch) reports every
/// message of the batch as failed, which is what the event source mapping does then.
macro_rules! consumer {
    ($function:ident) => {
        Handler::Consumer(|app, batch| {
            Box::pin(async move {
                let ids: Vec<String> = batch.records.iter().filter_map(|r| r.message_id.clone()).collect();
                match $function::handle(app, batch).await {
                    Ok(response) => response,
                    Err(err) => {
                        tracing::error!(error = %err, "consumer failed; the whole batch will be retried");
                        let mut response = SqsBatchResponse::default();
                        for id in ids {
                            response.add_failure(id);
                        }
                        response
                    }
                }
            })
        })
    };
}

/// Every function this build knows, by binary name.
pub fn handlers() -> Vec<(&'static str, Handler)> {
    vec![
        ("health", Handler::Http(|_, req| Box::pin(health::handle(req)))),
        ("openapi", Handler::Http(|_, req| Box::pin(openapi::handle(req)))),
        ("docs", Handler::Http(|_, req| Box::pin(docs::handle(req)))),
        ("graphiql", Handler::Http(|_, req| Box::pin(graphiql::handle(req)))),
        ("register", http!(register)),
        ("login", http!(login)),
        ("refresh", http!(refresh)),
        ("logout", http!(logout)),
        ("request-email-verification", http!(request_email_verification)),
        ("verify-email", http!(verify_email)),
        ("request-password-reset", http!(request_password_reset)),
        ("reset-password", http!(reset_password)),
        ("change-password", http!(change_password)),
        ("get-notification-preferences", http!(get_notification_preferences)),
        (
            "update-notification-preferences",
            http!(update_notification_preferences),
        ),
        ("notifications-consumer", consumer!(notifications_consumer)),
        ("get-me", http!(get_me)),
        ("update-me", http!(update_me)),
        ("get-user", http!(get_user)),
        ("create-property", http!(create_property)),
        ("get-property", http!(get_property)),
        ("update-property", http!(update_property)),
        ("delete-property", http!(delete_property)),
        ("list-my-properties", http!(list_my_properties)),
        ("search-properties", http!(search_properties)),
        ("get-calendar", http!(get_calendar)),
        ("put-calendar-blocks", http!(put_calendar_blocks)),
        ("get-quote", http!(get_quote)),
        ("create-booking", http!(create_booking)),
        ("get-booking", http!(get_booking)),
        ("list-bookings", http!(list_bookings)),
        ("accept-booking", http!(accept_booking)),
        ("decline-booking", http!(decline_booking)),
        ("cancel-booking", http!(cancel_booking)),
        ("check-in-booking", http!(check_in_booking)),
        ("check-out-booking", http!(check_out_booking)),
        ("booking-events-consumer", consumer!(booking_events_consumer)),
        ("create-payment", http!(create_payment)),
        ("list-payments", http!(list_payments)),
        ("stripe-webhook", http!(stripe_webhook)),
        ("payment-events-consumer", consumer!(payment_events_consumer)),
        ("create-review", http!(create_review)),
        ("list-property-reviews", http!(list_property_reviews)),
        ("list-user-reviews", http!(list_user_reviews)),
        ("respond-to-review", http!(respond_to_review)),
        ("review-events-consumer", consumer!(review_events_consumer)),
        ("start-conversation", http!(start_conversation)),
        ("list-conversations", http!(list_conversations)),
        ("get-conversation", http!(get_conversation)),
        ("list-messages", http!(list_messages)),
        ("send-message", http!(send_message)),
        ("mark-conversation-read", http!(mark_conversation_read)),
        ("message-events-consumer", consumer!(message_events_consumer)),
        ("request-photo-upload", http!(request_photo_upload)),
        ("list-photos", http!(list_photos)),
        ("reorder-photos", http!(reorder_photos)),
        ("update-photo", http!(update_photo)),
        ("delete-photo", http!(delete_photo)),
        ("photo-events-consumer", consumer!(photo_events_consumer)),
        ("admin-find-users", http!(admin_find_users)),
        ("admin-suspend-user", http!(admin_suspend_user)),
        ("admin-reinstate-user", http!(admin_reinstate_user)),
        ("admin-unlist-property", http!(admin_unlist_property)),
        ("admin-relist-property", http!(admin_relist_property)),
        ("admin-cancel-booking", http!(admin_cancel_booking)),
        ("admin-remove-review", http!(admin_remove_review)),
        ("admin-list-audit", http!(admin_list_audit)),
        ("graphql", http!(graphql_function)),
        ("deadline-sweeper", scheduled!(deadline_sweeper::sweep)),
        ("outbox-relay", scheduled!(outbox_relay::relay_local)),
    ]
}
