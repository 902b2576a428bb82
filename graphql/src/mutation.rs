//! Every write of the REST API: one input object and one payload per mutation, each calling
//! the use case of its REST handler.

use async_graphql::{Context, Error, ID, Object, SimpleObject};
use shared::admin::ReasonInput;
use shared::admin::accounts::AdminUserView;
use shared::bookings::actions::{self, Action, ActionInput};
use shared::error::ApiError;
use shared::idempotency::parse_key;
use shared::properties::calendar::{self, BlocksInput};
use shared::properties::listing;
use shared::users::{UserView, account as recovery, preferences, profile, register, session};

use crate::context::{app, principal};
use crate::error::OrGraphql;
use crate::inputs::{
    AdminCancelBookingInput, BookingActionInput, ChangePasswordInput, CreateBookingInput, CreatePropertyInput,
    CreateReviewInput, DeletePhotoInput, DeletePropertyInput, LoginInput, MarkConversationReadInput,
    ModeratePropertyInput, ModerateUserInput, PayBookingInput, RefreshTokenInput, RegisterInput, RemoveReviewInput,
    ReorderPhotosInput, RequestPasswordResetInput, RequestPhotoUploadInput, ResetPasswordInput, RespondToReviewInput,
    SendMessageInput, SetCalendarBlocksInput, StartConversationInput, UpdateMeInput,
    UpdateNotificationPreferencesInput, UpdatePhotoInput, UpdatePropertyInput, VerifyEmailInput,
};
use crate::types::{
    Account, AdminUser, Booking, Calendar, HostPhoto, NewPhoto, NotificationPreferences, Payment, PhotoUpload,
    Property, Review, TokenPair, from_body, hosted_property, mirror,
};

macro_rules! payload {
    ($(#[$doc:meta] $name:ident { $field:ident: $type:ty })*) => {
        $(
            #[$doc]
            #[derive(SimpleObject)]
            pub struct $name {
                pub $field: $type,
            }
        )*
    };
}

payload! {
    /// What `register` answers: the new account (sign in with `login`).
    RegisterPayload { user: Account }
    /// What `login` answers.
    LoginPayload { tokens: TokenPair }
    /// What `refresh` answers: a new pair; the presented refresh token stops working.
    RefreshPayload { tokens: TokenPair }
    /// What `logout` answers: the refresh token's family is revoked.
    LogoutPayload { revoked: bool }
    /// What `updateMe` answers.
    UpdateMePayload { user: Account }
    /// What `requestEmailVerification` answers: the email is on its way.
    RequestEmailVerificationPayload { accepted: bool }
    /// What `verifyEmail` answers: the account, now verified.
    VerifyEmailPayload { user: Account }
    /// What `requestPasswordReset` answers, for any well-formed address.
    RequestPasswordResetPayload { accepted: bool }
    /// What `resetPassword` answers: every earlier session is revoked.
    ResetPasswordPayload { changed: bool }
    /// What `changePassword` answers: every earlier session is revoked.
    ChangePasswordPayload { changed: bool }
    /// What `updateNotificationPreferences` answers.
    UpdateNotificationPreferencesPayload { preferences: NotificationPreferences }
    /// What `createProperty` answers.
    CreatePropertyPayload { property: Property }
    /// What `updateProperty` answers.
    UpdatePropertyPayload { property: Property }
    /// What `deleteProperty` answers.
    DeletePropertyPayload { deleted_property_id: ID }
    /// What `setCalendarBlocks` answers: the calendar of that range.
    SetCalendarBlocksPayload { calendar: Calendar }
    /// What `createBooking` answers: the booking in `pending_payment`, with `holdExpiresAt`.
    CreateBookingPayload { booking: Booking }
    /// What `acceptBooking` answers.
    AcceptBookingPayload { booking: Booking }
    /// What `declineBooking` answers.
    DeclineBookingPayload { booking: Booking }
    /// What `cancelBooking` answers (with the refund the policy gives).
    CancelBookingPayload { booking: Booking }
    /// What `checkInBooking` answers.
    CheckInBookingPayload { booking: Booking }
    /// What `checkOutBooking` answers.
    CheckOutBookingPayload { booking: Booking }
    /// What `payBooking` answers: the payment, whatever its outcome.
    PayBookingPayload { payment: Payment }
    /// What `createReview` answers: the review, hidden until both sides reviewed.
    CreateReviewPayload { review: Review }
    /// What `respondToReview` answers.
    RespondToReviewPayload { review: Review }
    /// What `sendMessage` answers: the message as stored (contact details masked until a stay).
    SendMessagePayload { message: crate::types::Message }
    /// What `markConversationRead` answers: the conversation whose messages all count as read.
    MarkConversationReadPayload { conversation_id: ID }
    /// What `reorderPhotos` answers: the host's photos in their new order.
    ReorderPhotosPayload { photos: Vec<HostPhoto> }
    /// What `updatePhoto` answers.
    UpdatePhotoPayload { photo: HostPhoto }
    /// What `deletePhoto` answers; the stored file is deleted too.
    DeletePhotoPayload { deleted_photo_id: ID }
    /// What `suspendUser` answers: the account, `suspended`.
    SuspendUserPayload { user: AdminUser }
    /// What `reinstateUser` answers: the account, `active`.
    ReinstateUserPayload { user: AdminUser }
    /// What `unlistProperty` answers: the property, `unlisted`.
    UnlistPropertyPayload { property: Property }
    /// What `relistProperty` answers: the property, `listed`.
    RelistPropertyPayload { property: Property }
    /// What `adminCancelBooking` answers: the booking, `cancelled` with a full refund.
    AdminCancelBookingPayload { booking: Booking }
    /// What `removeReview` answers: the review is out of every list.
    RemoveReviewPayload { removed_review_id: ID }
}

/// What `requestPhotoUpload` answers: the pending photo and where to `PUT` its file.
#[derive(SimpleObject)]
pub struct RequestPhotoUploadPayload {
    pub photo: NewPhoto,
    pub upload: PhotoUpload,
}

/// What `startConversation` answers: the conversation, new or the guest's existing one.
#[derive(SimpleObject)]
pub struct StartConversationPayload {
    pub conversation: crate::types::Conversation,
    /// `false` when the message was added to the guest's existing conversation.
    pub created: bool,
}

/// An `idempotencyKey` argument, checked like the header (`bad_request` naming it).
fn key(raw: Option<&String>) -> Result<Option<&str>, Error> {
    raw.map(|raw| parse_key(raw, "idempotencyKey")).transpose().gql()
}

/// The use case's answer with the key named as this API names it (`idempotencyKey`, not the
/// REST header).
fn keyed<T>(result: Result<T, ApiError>) -> Result<T, ApiError> {
    result.map_err(|mut err| {
        if let ApiError::Validation(details)
        | ApiError::BadRequest { details, .. }
        | ApiError::Conflict { details, .. } = &mut err
        {
            for detail in details.iter_mut().filter(|d| d.field == "Idempotency-Key") {
                detail.field = "idempotencyKey".to_owned();
            }
        }
        err
    })
}

async fn act(
    ctx: &Context<'_>,
    input: BookingActionInput,
    idempotency_key: Option<String>,
    action: Action,
) -> Result<Booking, Error> {
    let key = key(idempotency_key.as_ref())?;
    let body = ActionInput { reason: input.reason };
    let moved =
        keyed(actions::act(app(ctx), principal(ctx)?, &input.booking_id, action, Some(body), key).await).gql()?;
    crate::types::booking(&moved)
}

/// An admin mutation's reason, as the use case takes it.
fn reason(reason: Option<String>) -> Option<ReasonInput> {
    Some(ReasonInput { reason })
}

fn admin_user(user: &shared::users::User) -> Result<AdminUser, Error> {
    mirror(&AdminUserView::from(user)).gql()
}

fn account(user: &shared::users::User) -> Result<Account, Error> {
    mirror(&UserView::from(user)).gql()
}

/// The roots of every write.
pub struct Mutation;

#[Object]
impl Mutation {
    /// Registers a user (`guest` by default, or `host`).
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> Result<Option<RegisterPayload>, Error> {
        let user = register::register(app(ctx), input.into()).await.gql()?;
        Ok(Some(RegisterPayload { user: account(&user)? }))
    }

    /// Signs in: an access token (15 minutes) and a refresh token.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<Option<LoginPayload>, Error> {
        let request = session::LoginRequest {
            email: input.email,
            password: input.password,
        };
        let pair = session::login(app(ctx), request).await.gql()?;
        Ok(Some(LoginPayload {
            tokens: mirror(&pair).gql()?,
        }))
    }

    /// Exchanges a refresh token for a new pair.
    async fn refresh(&self, ctx: &Context<'_>, input: RefreshTokenInput) -> Result<Option<RefreshPayload>, Error> {
        let request = session::RefreshRequest {
            refresh_token: input.refresh_token,
        };
        let pair = session::refresh(app(ctx), request).await.gql()?;
        Ok(Some(RefreshPayload {
            tokens: mirror(&pair).gql()?,
        }))
    }

    /// Signs out: revokes the family of the given refresh token.
    async fn logout(&self, ctx: &Context<'_>, input: RefreshTokenInput) -> Result<Option<LogoutPayload>, Error> {
        let request = session::RefreshRequest {
            refresh_token: input.refresh_token,
        };
        session::logout(app(ctx), principal(ctx)?, request).await.gql()?;
        Ok(Some(LogoutPayload { revoked: true }))
    }

    /// Changes first name, last name or phone of the signed-in user.
    async fn update_me(&self, ctx: &Context<'_>, input: UpdateMeInput) -> Result<Option<UpdateMePayload>, Error> {
        let user = profile::update_me(app(ctx), principal(ctx)?, input.into())
            .await
            .gql()?;
        Ok(Some(UpdateMePayload { user: account(&user)? }))
    }

    /// Emails the signed-in user a new verification link (at most once a minute).
    async fn request_email_verification(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<RequestEmailVerificationPayload>, Error> {
        recovery::request_verification(app(ctx), principal(ctx)?).await.gql()?;
        Ok(Some(RequestEmailVerificationPayload { accepted: true }))
    }

    /// Uses the token of a verification link.
    async fn verify_email(
        &self,
        ctx: &Context<'_>,
        input: VerifyEmailInput,
    ) -> Result<Option<VerifyEmailPayload>, Error> {
        let user = recovery::verify_email(app(ctx), input.into()).await.gql()?;
        Ok(Some(VerifyEmailPayload { user: account(&user)? }))
    }

    /// Emails a reset link if the address has an account; answers the same either way.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        input: RequestPasswordResetInput,
    ) -> Result<Option<RequestPasswordResetPayload>, Error> {
        recovery::request_reset(app(ctx), input.into()).await.gql()?;
        Ok(Some(RequestPasswordResetPayload { accepted: true }))
    }

    /// Sets a new password with the token of a reset link.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        input: ResetPasswordInput,
    ) -> Result<Option<ResetPasswordPayload>, Error> {
        recovery::reset_password(app(ctx), input.into()).await.gql()?;
        Ok(Some(ResetPasswordPayload { changed: true }))
    }

    /// Changes the signed-in user's password.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        input: ChangePasswordInput,
    ) -> Result<Option<ChangePasswordPayload>, Error> {
        recovery::change_password(app(ctx), principal(ctx)?, input.into())
            .await
            .gql()?;
        Ok(Some(ChangePasswordPayload { changed: true }))
    }

    /// Turns kinds of email on or off for the signed-in user.
    async fn update_notification_preferences(
        &self,
        ctx: &Context<'_>,
        input: UpdateNotificationPreferencesInput,
    ) -> Result<Option<UpdateNotificationPreferencesPayload>, Error> {
        let preferences = preferences::update(app(ctx), principal(ctx)?, input.into())
            .await
            .gql()?;
        Ok(Some(UpdateNotificationPreferencesPayload {
            preferences: mirror(&preferences).gql()?,
        }))
    }

    /// Lists a property for the signed-in host. With an `idempotencyKey` (shared with
    /// `POST /properties`'s `Idempotency-Key`), a repeat within 24 h answers the first listing
    /// again.
    async fn create_property(
        &self,
        ctx: &Context<'_>,
        input: CreatePropertyInput,
        #[graphql(desc = "1..255 visible ASCII characters")] idempotency_key: Option<String>,
    ) -> Result<Option<CreatePropertyPayload>, Error> {
        let key = key(idempotency_key.as_ref())?;
        let answer =
            keyed(shared::properties::create(app(ctx), principal(ctx)?, key, input.fields.into()).await).gql()?;
        Ok(Some(CreatePropertyPayload {
            property: from_body(&answer.body).gql()?,
        }))
    }

    /// Changes any writable subset of the host's own property.
    async fn update_property(
        &self,
        ctx: &Context<'_>,
        input: UpdatePropertyInput,
    ) -> Result<Option<UpdatePropertyPayload>, Error> {
        let updated = shared::properties::update(app(ctx), principal(ctx)?, &input.property_id, input.fields.into())
            .await
            .gql()?;
        Ok(Some(UpdatePropertyPayload {
            property: hosted_property(&updated, &app(ctx).photo_urls)?,
        }))
    }

    /// Removes the host's property from search (`conflict` while a booking of it is not over).
    async fn delete_property(
        &self,
        ctx: &Context<'_>,
        input: DeletePropertyInput,
    ) -> Result<Option<DeletePropertyPayload>, Error> {
        shared::properties::delete(app(ctx), principal(ctx)?, &input.property_id)
            .await
            .gql()?;
        Ok(Some(DeletePropertyPayload {
            deleted_property_id: input.property_id,
        }))
    }

    /// Blocks or opens the nights `from..to` of the host's property.
    async fn set_calendar_blocks(
        &self,
        ctx: &Context<'_>,
        input: SetCalendarBlocksInput,
    ) -> Result<Option<SetCalendarBlocksPayload>, Error> {
        let blocks = BlocksInput {
            from: input.from,
            to: input.to,
            blocked: input.blocked,
        };
        let nights = calendar::set_blocks(app(ctx), principal(ctx)?, &input.property_id, blocks)
            .await
            .gql()?;
        Ok(Some(SetCalendarBlocksPayload {
            calendar: mirror(&nights).gql()?,
        }))
    }

    /// Books a stay. With an `idempotencyKey` (shared with `POST /bookings`'s
    /// `Idempotency-Key`), a repeat within 24 h answers the first booking again.
    async fn create_booking(
        &self,
        ctx: &Context<'_>,
        input: CreateBookingInput,
        #[graphql(desc = "1..255 visible ASCII characters")] idempotency_key: Option<String>,
    ) -> Result<Option<CreateBookingPayload>, Error> {
        let key = key(idempotency_key.as_ref())?;
        let answer =
            keyed(shared::bookings::create::create(app(ctx), principal(ctx)?, key, input.into()).await).gql()?;
        Ok(Some(CreateBookingPayload {
            booking: from_body(&answer.body).gql()?,
        }))
    }

    /// The host accepts a request to book.
    async fn accept_booking(
        &self,
        ctx: &Context<'_>,
        input: BookingActionInput,
        #[graphql(
            desc = "1..255 visible ASCII characters: the same move sent again answers the booking instead of an error"
        )]
        idempotency_key: Option<String>,
    ) -> Result<Option<AcceptBookingPayload>, Error> {
        let booking = act(ctx, input, idempotency_key, Action::Accept).await?;
        Ok(Some(AcceptBookingPayload { booking }))
    }

    /// The host declines a request to book; the guest is refunded in full.
    async fn decline_booking(
        &self,
        ctx: &Context<'_>,
        input: BookingActionInput,
        #[graphql(
            desc = "1..255 visible ASCII characters: the same move sent again answers the booking instead of an error"
        )]
        idempotency_key: Option<String>,
    ) -> Result<Option<DeclineBookingPayload>, Error> {
        let booking = act(ctx, input, idempotency_key, Action::Decline).await?;
        Ok(Some(DeclineBookingPayload { booking }))
    }

    /// The guest or host cancels before check-in.
    async fn cancel_booking(
        &self,
        ctx: &Context<'_>,
        input: BookingActionInput,
        #[graphql(
            desc = "1..255 visible ASCII characters: the same move sent again answers the booking instead of an error"
        )]
        idempotency_key: Option<String>,
    ) -> Result<Option<CancelBookingPayload>, Error> {
        let booking = act(ctx, input, idempotency_key, Action::Cancel).await?;
        Ok(Some(CancelBookingPayload { booking }))
    }

    /// The guest or host records the arrival.
    async fn check_in_booking(
        &self,
        ctx: &Context<'_>,
        input: BookingActionInput,
        #[graphql(
            desc = "1..255 visible ASCII characters: the same move sent again answers the booking instead of an error"
        )]
        idempotency_key: Option<String>,
    ) -> Result<Option<CheckInBookingPayload>, Error> {
        let booking = act(ctx, input, idempotency_key, Action::CheckIn).await?;
        Ok(Some(CheckInBookingPayload { booking }))
    }

    /// The guest or host records the departure.
    async fn check_out_booking(
        &self,
        ctx: &Context<'_>,
        input: BookingActionInput,
        #[graphql(
            desc = "1..255 visible ASCII characters: the same move sent again answers the booking instead of an error"
        )]
        idempotency_key: Option<String>,
    ) -> Result<Option<CheckOutBookingPayload>, Error> {
        let booking = act(ctx, input, idempotency_key, Action::CheckOut).await?;
        Ok(Some(CheckOutBookingPayload { booking }))
    }

    /// The guest pays the booking's total. With an `idempotencyKey` (shared with
    /// `POST /bookings/{id}/payments`), a repeat answers the first payment again.
    async fn pay_booking(
        &self,
        ctx: &Context<'_>,
        input: PayBookingInput,
        #[graphql(desc = "1..255 visible ASCII characters")] idempotency_key: Option<String>,
    ) -> Result<Option<PayBookingPayload>, Error> {
        let key = key(idempotency_key.as_ref())?;
        let body = shared::payments::pay::PaymentInput {
            payment_method: input.payment_method,
        };
        let answer =
            keyed(shared::payments::pay::pay(app(ctx), principal(ctx)?, key, &input.booking_id, body).await).gql()?;
        Ok(Some(PayBookingPayload {
            payment: from_body(&answer.body).gql()?,
        }))
    }

    /// The booking's guest reviews the property, or its host the guest.
    async fn create_review(
        &self,
        ctx: &Context<'_>,
        input: CreateReviewInput,
    ) -> Result<Option<CreateReviewPayload>, Error> {
        let written = shared::reviews::create(app(ctx), principal(ctx)?, &input.booking_id, (&input).into())
            .await
            .gql()?;
        Ok(Some(CreateReviewPayload {
            review: crate::types::review(&written)?,
        }))
    }

    /// The reviewed property's host answers a published guest review, once.
    async fn respond_to_review(
        &self,
        ctx: &Context<'_>,
        input: RespondToReviewInput,
    ) -> Result<Option<RespondToReviewPayload>, Error> {
        let body = shared::reviews::ResponseInput { comment: input.comment };
        let review = shared::reviews::respond(app(ctx), principal(ctx)?, &input.review_id, body)
            .await
            .gql()?;
        Ok(Some(RespondToReviewPayload {
            review: crate::types::review(&review)?,
        }))
    }

    /// The guest's inquiry about a property: starts their conversation about it, or adds the
    /// message to the one they have (`created: false`).
    async fn start_conversation(
        &self,
        ctx: &Context<'_>,
        input: StartConversationInput,
    ) -> Result<Option<StartConversationPayload>, Error> {
        let started = shared::messages::start(app(ctx), principal(ctx)?, input.into())
            .await
            .gql()?;
        Ok(Some(StartConversationPayload {
            conversation: crate::types::conversation(&started.conversation)?,
            created: started.created,
        }))
    }

    /// A participant writes in a conversation (30 messages per minute at most).
    async fn send_message(
        &self,
        ctx: &Context<'_>,
        input: SendMessageInput,
    ) -> Result<Option<SendMessagePayload>, Error> {
        let body = shared::messages::MessageInput { body: input.body };
        let message = shared::messages::send(app(ctx), principal(ctx)?, &input.conversation_id, body)
            .await
            .gql()?;
        Ok(Some(SendMessagePayload {
            message: mirror(&message).gql()?,
        }))
    }

    /// Declares a photo of the host's property: `pending` until its file, sent to `upload`,
    /// arrives and passes the check. The 51st photo (pending ones count) is `conflict`.
    async fn request_photo_upload(
        &self,
        ctx: &Context<'_>,
        input: RequestPhotoUploadInput,
    ) -> Result<Option<RequestPhotoUploadPayload>, Error> {
        let declared = shared::photos::UploadInput {
            content_type: input.content_type,
            size_bytes: input.size_bytes,
            caption: input.caption,
        };
        let upload = shared::photos::request_upload(app(ctx), principal(ctx)?, &input.property_id, declared)
            .await
            .gql()?;
        Ok(Some(RequestPhotoUploadPayload {
            photo: mirror(&upload.photo).gql()?,
            upload: PhotoUpload::of(&upload.upload),
        }))
    }

    /// Puts the ready photos in this order (every one exactly once); the first is the cover.
    async fn reorder_photos(
        &self,
        ctx: &Context<'_>,
        input: ReorderPhotosInput,
    ) -> Result<Option<ReorderPhotosPayload>, Error> {
        let order = shared::photos::OrderInput {
            order: input.order.map(|ids| ids.into_iter().map(|id| id.0).collect()),
        };
        let photos = shared::photos::reorder(app(ctx), principal(ctx)?, &input.property_id, order)
            .await
            .gql()?;
        Ok(Some(ReorderPhotosPayload {
            photos: mirror(&photos).gql()?,
        }))
    }

    /// Changes a photo's caption.
    async fn update_photo(
        &self,
        ctx: &Context<'_>,
        input: UpdatePhotoInput,
    ) -> Result<Option<UpdatePhotoPayload>, Error> {
        let caption = shared::photos::CaptionInput { caption: input.caption };
        let photo = shared::photos::caption(app(ctx), principal(ctx)?, &input.property_id, &input.photo_id, caption)
            .await
            .gql()?;
        Ok(Some(UpdatePhotoPayload {
            photo: mirror(&photo).gql()?,
        }))
    }

    /// Removes a photo from the property; its stored file is deleted too.
    async fn delete_photo(
        &self,
        ctx: &Context<'_>,
        input: DeletePhotoInput,
    ) -> Result<Option<DeletePhotoPayload>, Error> {
        shared::photos::delete(app(ctx), principal(ctx)?, &input.property_id, &input.photo_id)
            .await
            .gql()?;
        Ok(Some(DeletePhotoPayload {
            deleted_photo_id: input.photo_id,
        }))
    }

    /// Every message of the conversation so far counts as read by the caller.
    async fn mark_conversation_read(
        &self,
        ctx: &Context<'_>,
        input: MarkConversationReadInput,
    ) -> Result<Option<MarkConversationReadPayload>, Error> {
        shared::messages::mark_read(app(ctx), principal(ctx)?, &input.conversation_id)
            .await
            .gql()?;
        Ok(Some(MarkConversationReadPayload {
            conversation_id: input.conversation_id,
        }))
    }

    /// Admin only: suspends an account (no sign-in or refresh; older tokens refused within a
    /// minute; its properties leave search and take no bookings).
    async fn suspend_user(
        &self,
        ctx: &Context<'_>,
        input: ModerateUserInput,
    ) -> Result<Option<SuspendUserPayload>, Error> {
        let user = shared::admin::accounts::suspend(app(ctx), principal(ctx)?, &input.user_id, reason(input.reason))
            .await
            .gql()?;
        Ok(Some(SuspendUserPayload {
            user: admin_user(&user)?,
        }))
    }

    /// Admin only: lifts a suspension.
    async fn reinstate_user(
        &self,
        ctx: &Context<'_>,
        input: ModerateUserInput,
    ) -> Result<Option<ReinstateUserPayload>, Error> {
        let user = shared::admin::accounts::reinstate(app(ctx), principal(ctx)?, &input.user_id, reason(input.reason))
            .await
            .gql()?;
        Ok(Some(ReinstateUserPayload {
            user: admin_user(&user)?,
        }))
    }

    /// Admin only: takes a property out of search and closes it to new bookings.
    async fn unlist_property(
        &self,
        ctx: &Context<'_>,
        input: ModeratePropertyInput,
    ) -> Result<Option<UnlistPropertyPayload>, Error> {
        let property = listing::unlist(app(ctx), principal(ctx)?, &input.property_id, reason(input.reason))
            .await
            .gql()?;
        Ok(Some(UnlistPropertyPayload {
            property: crate::types::property(&property, &app(ctx).photo_urls)?,
        }))
    }

    /// Admin only: puts an unlisted property back in search.
    async fn relist_property(
        &self,
        ctx: &Context<'_>,
        input: ModeratePropertyInput,
    ) -> Result<Option<RelistPropertyPayload>, Error> {
        let property = listing::relist(app(ctx), principal(ctx)?, &input.property_id, reason(input.reason))
            .await
            .gql()?;
        Ok(Some(RelistPropertyPayload {
            property: crate::types::property(&property, &app(ctx).photo_urls)?,
        }))
    }

    /// Admin only: cancels a booking that has not begun, refunding whatever was paid in full.
    async fn admin_cancel_booking(
        &self,
        ctx: &Context<'_>,
        input: AdminCancelBookingInput,
    ) -> Result<Option<AdminCancelBookingPayload>, Error> {
        let booking = actions::cancel_as_admin(app(ctx), principal(ctx)?, &input.booking_id, reason(input.reason))
            .await
            .gql()?;
        Ok(Some(AdminCancelBookingPayload {
            booking: crate::types::booking(&booking)?,
        }))
    }

    /// Admin only: removes a review from every list; the property's rating is recomputed
    /// exactly.
    async fn remove_review(
        &self,
        ctx: &Context<'_>,
        input: RemoveReviewInput,
    ) -> Result<Option<RemoveReviewPayload>, Error> {
        shared::reviews::remove::remove(app(ctx), principal(ctx)?, &input.review_id, reason(input.reason))
            .await
            .gql()?;
        Ok(Some(RemoveReviewPayload {
            removed_review_id: input.review_id,
        }))
    }
}
