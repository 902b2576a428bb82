//! Reviews written straight into the store, as the review use case leaves them: for tests
//! of what happens to them next (publication, removal, their races).

use serde_json::json;
use shared::reviews::model::{Review, Side, SubRatings};
use shared::store::keys;
use shared::store::{Condition, Item, TxAction};

use crate::app::TestApp;

/// A hidden guest review of `property_id` by `author_id`, for a booking of its own: its claim
/// and the review, in one transaction. Answers the review (its id and booking id).
///
/// # Panics
/// When the store refuses the write: this is test setup.
pub async fn hidden_guest_review(
    app: &TestApp,
    property_id: &str,
    author_id: &str,
    rating: u8,
    sub_ratings: SubRatings,
) -> Review {
    let booking_id = ulid::Ulid::new().to_string();
    let review = Review {
        id: ulid::Ulid::new().to_string(),
        booking_id: booking_id.clone(),
        property_id: property_id.to_owned(),
        side: Side::Guest,
        author_id: author_id.to_owned(),
        author_name: "Ada".into(),
        subject_id: property_id.to_owned(),
        rating,
        sub_ratings,
        comment: "Fine.".into(),
        response: None,
        created_at: app.app.clock.now(),
        published_at: None,
        removed_at: None,
    };
    let claim = Item::new(
        keys::review_claim(&booking_id, "guest"),
        "review_claim",
        &json!({"reviewId": review.id}),
    )
    .expect("a claim item");
    app.app
        .store
        .transact(vec![
            TxAction::Put {
                item: claim,
                condition: Condition::Absent,
            },
            TxAction::Put {
                item: review.to_item().expect("a review item"),
                condition: Condition::Absent,
            },
        ])
        .await
        .expect("the review stored");
    review
}
