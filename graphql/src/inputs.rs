//! One input object per mutation. Fields a use case validates are nullable here and reach it
//! as given, so `shared` names every missing or bad one (`extensions.details`), with the same
//! field names as these inputs.

use async_graphql::{ID, InputObject, MaybeUndefined};
use shared::money::MoneyInput as SharedMoney;
use shared::properties::input::{AddressInput as SharedAddress, LocationInput as SharedLocation, PropertyInput};

use crate::types::{CancellationPolicy, Role};

fn maybe<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(value) => Some(Some(value)),
    }
}

/// `register`.
#[derive(InputObject, Debug, Default)]
pub struct RegisterInput {
    /// Required; unique, case-insensitively.
    pub email: Option<String>,
    /// Required; 8..128 characters.
    pub password: Option<String>,
    /// Required; 1..100 characters.
    pub first_name: Option<String>,
    /// Required; 1..100 characters.
    pub last_name: Option<String>,
    /// E.164, e.g. `+441234567890`.
    pub phone: Option<String>,
    /// `guest` (default) or `host` (`admin` is refused: an operator grants it).
    pub role: Option<Role>,
}

impl From<RegisterInput> for shared::users::register::RegisterRequest {
    fn from(input: RegisterInput) -> Self {
        Self {
            email: input.email,
            password: input.password,
            first_name: input.first_name,
            last_name: input.last_name,
            phone: input.phone,
            role: input.role.map(|role| {
                match role {
                    Role::Guest => "guest",
                    Role::Host => "host",
                    // Refused by registration (`validation_failed`), as in REST.
                    Role::Admin => "admin",
                }
                .to_owned()
            }),
        }
    }
}

/// `login`.
#[derive(InputObject, Debug, Default)]
pub struct LoginInput {
    pub email: Option<String>,
    pub password: Option<String>,
}

/// `refresh` and `logout`.
#[derive(InputObject, Debug, Default)]
pub struct RefreshTokenInput {
    pub refresh_token: Option<String>,
}

/// `verifyEmail`: the token of a verification link.
#[derive(InputObject, Debug, Default)]
pub struct VerifyEmailInput {
    pub token: Option<String>,
}

impl From<VerifyEmailInput> for shared::users::account::VerifyEmailRequest {
    fn from(input: VerifyEmailInput) -> Self {
        Self { token: input.token }
    }
}

/// `requestPasswordReset`: the address to send a reset link to, if it has an account.
#[derive(InputObject, Debug, Default)]
pub struct RequestPasswordResetInput {
    pub email: Option<String>,
}

impl From<RequestPasswordResetInput> for shared::users::account::ResetRequest {
    fn from(input: RequestPasswordResetInput) -> Self {
        Self { email: input.email }
    }
}

/// `resetPassword`: the token of a reset link and the new password.
#[derive(InputObject, Debug, Default)]
pub struct ResetPasswordInput {
    pub token: Option<String>,
    pub password: Option<String>,
}

impl From<ResetPasswordInput> for shared::users::account::PasswordReset {
    fn from(input: ResetPasswordInput) -> Self {
        Self {
            token: input.token,
            password: input.password,
        }
    }
}

/// `changePassword`: the current password and the new one.
#[derive(InputObject, Debug, Default)]
pub struct ChangePasswordInput {
    pub current_password: Option<String>,
    pub new_password: Option<String>,
}

impl From<ChangePasswordInput> for shared::users::account::PasswordChange {
    fn from(input: ChangePasswordInput) -> Self {
        Self {
            current_password: input.current_password,
            new_password: input.new_password,
        }
    }
}

/// `updateNotificationPreferences`: any subset.
#[derive(InputObject, Debug, Default)]
pub struct UpdateNotificationPreferencesInput {
    pub booking_updates: Option<bool>,
    pub messages: Option<bool>,
    pub reviews: Option<bool>,
}

impl From<UpdateNotificationPreferencesInput> for shared::users::preferences::PreferencesPatch {
    fn from(input: UpdateNotificationPreferencesInput) -> Self {
        Self {
            booking_updates: input.booking_updates,
            messages: input.messages,
            reviews: input.reviews,
        }
    }
}

/// `updateMe`: any subset; `phone: null` removes the phone.
#[derive(InputObject, Debug, Default)]
pub struct UpdateMeInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: MaybeUndefined<String>,
}

impl From<UpdateMeInput> for shared::users::profile::ProfilePatch {
    fn from(input: UpdateMeInput) -> Self {
        Self {
            first_name: input.first_name,
            last_name: input.last_name,
            phone: maybe(input.phone),
        }
    }
}

/// Money: minor units and an ISO 4217 code.
#[derive(InputObject, Debug, Clone, Default)]
pub struct MoneyInput {
    pub amount: Option<i64>,
    pub currency: Option<String>,
}

impl From<MoneyInput> for SharedMoney {
    fn from(input: MoneyInput) -> Self {
        Self {
            amount: input.amount,
            currency: input.currency,
        }
    }
}

/// A property's address.
#[derive(InputObject, Debug, Clone, Default)]
pub struct AddressInput {
    pub line1: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub postal_code: Option<String>,
}

/// A point on the map.
#[derive(InputObject, Debug, Clone, Copy, Default)]
pub struct LocationInput {
    /// -90..90.
    pub lat: Option<f64>,
    /// -180..180.
    pub lng: Option<f64>,
}

/// The writable fields of a property (required on create: `title`, `address.line1`,
/// `address.city`, `address.country`, `timeZone`, `maxGuests`, `nightlyPrice`).
#[derive(InputObject, Debug, Clone, Default)]
pub struct PropertyFields {
    pub title: Option<String>,
    pub description: Option<String>,
    pub address: Option<AddressInput>,
    /// IANA name, e.g. `Europe/Zurich`.
    pub time_zone: Option<String>,
    pub max_guests: Option<i64>,
    pub bedrooms: Option<i64>,
    pub beds: Option<i64>,
    pub bathrooms: Option<f64>,
    pub amenities: Option<Vec<String>>,
    pub nightly_price: Option<MoneyInput>,
    pub cleaning_fee: Option<MoneyInput>,
    pub min_nights: Option<i64>,
    pub max_nights: Option<i64>,
    /// `HH:MM`, 24-hour.
    pub check_in_time: Option<String>,
    pub check_out_time: Option<String>,
    pub instant_book: Option<bool>,
    pub cancellation_policy: Option<CancellationPolicy>,
    /// 0..2000 characters: posted to confirmed stays 48 h before check-in; host only.
    pub check_in_instructions: Option<String>,
    /// `null` in an update removes the location.
    pub location: MaybeUndefined<LocationInput>,
}

impl From<PropertyFields> for PropertyInput {
    fn from(input: PropertyFields) -> Self {
        Self {
            title: input.title,
            description: input.description,
            address: input.address.map(|a| SharedAddress {
                line1: a.line1,
                city: a.city,
                region: a.region,
                country: a.country,
                postal_code: a.postal_code,
            }),
            time_zone: input.time_zone,
            max_guests: input.max_guests,
            bedrooms: input.bedrooms,
            beds: input.beds,
            bathrooms: input.bathrooms,
            amenities: input.amenities,
            nightly_price: input.nightly_price.map(Into::into),
            cleaning_fee: input.cleaning_fee.map(Into::into),
            min_nights: input.min_nights,
            max_nights: input.max_nights,
            check_in_time: input.check_in_time,
            check_out_time: input.check_out_time,
            instant_book: input.instant_book,
            cancellation_policy: input.cancellation_policy.map(|p| p.as_str().to_owned()),
            check_in_instructions: input.check_in_instructions,
            location: maybe(input.location).map(|location| location.map(|l| SharedLocation { lat: l.lat, lng: l.lng })),
        }
    }
}

/// `createProperty`.
#[derive(InputObject, Debug, Default)]
pub struct CreatePropertyInput {
    #[graphql(flatten)]
    pub fields: PropertyFields,
}

/// `updateProperty`: any writable subset.
#[derive(InputObject, Debug, Default)]
pub struct UpdatePropertyInput {
    pub property_id: ID,
    #[graphql(flatten)]
    pub fields: PropertyFields,
}

/// `deleteProperty`.
#[derive(InputObject, Debug, Default)]
pub struct DeletePropertyInput {
    pub property_id: ID,
}

/// `requestPhotoUpload`: the file the host is about to send.
#[derive(InputObject, Debug, Default)]
pub struct RequestPhotoUploadInput {
    pub property_id: ID,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: Option<String>,
    /// 1..10485760.
    pub size_bytes: Option<i64>,
    /// At most 200 characters.
    pub caption: Option<String>,
}

/// `reorderPhotos`: every ready photo exactly once, the cover first.
#[derive(InputObject, Debug, Default)]
pub struct ReorderPhotosInput {
    pub property_id: ID,
    pub order: Option<Vec<ID>>,
}

/// `updatePhoto`.
#[derive(InputObject, Debug, Default)]
pub struct UpdatePhotoInput {
    pub property_id: ID,
    pub photo_id: ID,
    /// At most 200 characters; empty removes it.
    pub caption: Option<String>,
}

/// `deletePhoto`.
#[derive(InputObject, Debug, Default)]
pub struct DeletePhotoInput {
    pub property_id: ID,
    pub photo_id: ID,
}

/// `setCalendarBlocks`: `from` included, `to` excluded, at most 90 nights.
#[derive(InputObject, Debug, Default)]
pub struct SetCalendarBlocksInput {
    pub property_id: ID,
    /// `YYYY-MM-DD`.
    pub from: Option<String>,
    /// `YYYY-MM-DD`, excluded.
    pub to: Option<String>,
    /// `true` blocks the nights, `false` opens the ones the host blocked.
    pub blocked: Option<bool>,
}

/// `createBooking`.
#[derive(InputObject, Debug, Default)]
pub struct CreateBookingInput {
    pub property_id: Option<ID>,
    /// First night, `YYYY-MM-DD` in the property's time zone.
    pub check_in: Option<String>,
    /// Day of departure, `YYYY-MM-DD`.
    pub check_out: Option<String>,
    pub guests: Option<i64>,
}

impl From<CreateBookingInput> for shared::bookings::create::BookingInput {
    fn from(input: CreateBookingInput) -> Self {
        Self {
            property_id: input.property_id.map(|id| id.0),
            check_in: input.check_in,
            check_out: input.check_out,
            guests: input.guests,
        }
    }
}

/// `acceptBooking`, `declineBooking`, `cancelBooking`, `checkInBooking`, `checkOutBooking`.
#[derive(InputObject, Debug, Default)]
pub struct BookingActionInput {
    pub booking_id: ID,
    /// Up to 500 characters, kept in the booking's history.
    pub reason: Option<String>,
}

/// `suspendUser`, `reinstateUser`: the account and why (required to suspend).
#[derive(InputObject, Debug, Default)]
pub struct ModerateUserInput {
    pub user_id: ID,
    /// 1..500 characters, for the audit log; required by `suspendUser`.
    pub reason: Option<String>,
}

/// `unlistProperty`, `relistProperty`: the property and why (required to unlist).
#[derive(InputObject, Debug, Default)]
pub struct ModeratePropertyInput {
    pub property_id: ID,
    /// 1..500 characters, for the audit log; required by `unlistProperty`.
    pub reason: Option<String>,
}

/// `adminCancelBooking`: the booking and why.
#[derive(InputObject, Debug, Default)]
pub struct AdminCancelBookingInput {
    pub booking_id: ID,
    /// 1..500 characters, required: kept in the audit log and the booking's history.
    pub reason: Option<String>,
}

/// `removeReview`: the review and why.
#[derive(InputObject, Debug, Default)]
pub struct RemoveReviewInput {
    pub review_id: ID,
    /// 1..500 characters, required, for the audit log.
    pub reason: Option<String>,
}

/// `payBooking`.
#[derive(InputObject, Debug, Default)]
pub struct PayBookingInput {
    pub booking_id: ID,
    /// A payment method id, e.g. `pm_card_visa`.
    pub payment_method: Option<String>,
}

/// `createReview`: sub-ratings are for guest reviews only.
#[derive(InputObject, Debug, Default)]
pub struct CreateReviewInput {
    pub booking_id: ID,
    /// 1..5, required.
    pub rating: Option<i64>,
    pub cleanliness: Option<i64>,
    pub accuracy: Option<i64>,
    pub check_in: Option<i64>,
    pub communication: Option<i64>,
    pub location: Option<i64>,
    pub value: Option<i64>,
    /// 1..2000 characters, required.
    pub comment: Option<String>,
}

impl From<&CreateReviewInput> for shared::reviews::ReviewInput {
    fn from(input: &CreateReviewInput) -> Self {
        Self {
            rating: input.rating,
            cleanliness: input.cleanliness,
            accuracy: input.accuracy,
            check_in: input.check_in,
            communication: input.communication,
            location: input.location,
            value: input.value,
            comment: input.comment.clone(),
        }
    }
}

/// `respondToReview`.
#[derive(InputObject, Debug, Default)]
pub struct RespondToReviewInput {
    pub review_id: ID,
    /// 1..1000 characters.
    pub comment: Option<String>,
}

/// `startConversation`: the guest's inquiry about a property (optionally about dates).
#[derive(InputObject, Debug, Default)]
pub struct StartConversationInput {
    pub property_id: Option<ID>,
    /// 1..5000 characters after trimming.
    pub message: Option<String>,
    /// `YYYY-MM-DD`; with `checkOut`, the dates asked about (nothing is held).
    pub check_in: Option<String>,
    pub check_out: Option<String>,
    /// 1..maxGuests, default 1; only with dates.
    pub guests: Option<i64>,
}

impl From<StartConversationInput> for shared::messages::StartInput {
    fn from(input: StartConversationInput) -> Self {
        Self {
            property_id: input.property_id.map(|id| id.0),
            message: input.message,
            check_in: input.check_in,
            check_out: input.check_out,
            guests: input.guests,
        }
    }
}

/// `sendMessage`.
#[derive(InputObject, Debug, Default)]
pub struct SendMessageInput {
    pub conversation_id: ID,
    /// 1..5000 characters after trimming.
    pub body: Option<String>,
}

/// `markConversationRead`.
#[derive(InputObject, Debug, Default)]
pub struct MarkConversationReadInput {
    pub conversation_id: ID,
}
