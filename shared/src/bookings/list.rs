//! `GET /bookings?as=guest|host&status=&from=&to=`: a guest's bookings (gsi1) or the bookings
//! of a host's properties (gsi2), in ascending check-in date, `from`/`to` bounding the
//! check-in date as a key range (`to` excluded). A status filter reads on through the index
//! until the page is full or a bounded number of reads is spent; the cursor resumes there.

use super::model::{Booking, BookingStatus};
use crate::App;
use crate::auth::Principal;
use crate::error::{ApiError, Problems};
use crate::properties::calendar::{self, day};
use crate::store::keys;
use crate::store::{Index, Query, SortKeyRange};

/// Most index reads one page may take when a status filter skips bookings.
const MAX_READS_PER_PAGE: usize = 8;

/// The query parameters of the list, as given.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListQuery<'a> {
    pub as_: Option<&'a str>,
    pub status: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub limit: u32,
    pub cursor: Option<&'a str>,
}

/// Whose bookings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Guest,
    Host,
}

/// One page of the principal's bookings and the cursor of the next.
pub async fn list(
    app: &App,
    principal: &Principal,
    query: ListQuery<'_>,
) -> Result<(Vec<Booking>, Option<String>), ApiError> {
    let from = calendar::query_date("from", query.from)?;
    let to = calendar::query_date("to", query.to)?;
    let mut problems = Problems::new();
    let side = match query.as_.map(str::trim).filter(|raw| !raw.is_empty()) {
        None | Some("guest") => Some(Side::Guest),
        Some("host") => Some(Side::Host),
        Some(_) => {
            problems.add("as", "must be guest or host");
            None
        }
    };
    let status = match query.status.map(str::trim).filter(|raw| !raw.is_empty()) {
        None => None,
        Some(raw) => problems.check("status", BookingStatus::parse(raw)),
    };
    if let (Some(from), Some(to)) = (from, to)
        && to <= from
    {
        problems.add("to", "must be after from");
    }
    problems.finish()?;
    let side = side.unwrap_or(Side::Guest);

    let (index, partition) = match side {
        Side::Guest => (Index::Gsi1, keys::guest_bookings(&principal.user_id)),
        Side::Host => (Index::Gsi2, keys::host_bookings(&principal.user_id)),
    };
    let bound = |date| keys::check_in_bound(&day(date));
    // `CHECKIN#<to>` sorts before every `CHECKIN#<to>#<id>`, so an inclusive bound at it
    // leaves the `to` date out.
    let range = match (from, to) {
        (Some(from), Some(to)) => SortKeyRange::Between(bound(from), bound(to)),
        (Some(from), None) => SortKeyRange::From(bound(from)),
        (None, Some(to)) => SortKeyRange::Until(bound(to)),
        (None, None) => SortKeyRange::Prefix("CHECKIN#".to_owned()),
    };
    let scope = format!(
        "bookings:{}:{side:?}:{}:{}:{}",
        principal.user_id,
        status.map_or("", BookingStatus::as_str),
        from.map(day).unwrap_or_default(),
        to.map(day).unwrap_or_default()
    );
    let now = app.clock.now();
    let mut start = app.signing_keys().await?.cursors.resume(query.cursor, &scope, now)?;

    let mut bookings = Vec::new();
    for _ in 0..MAX_READS_PER_PAGE {
        // Never more than the page still needs, so the resume key is always the last
        // booking examined and nothing is skipped.
        let wanted = query
            .limit
            .saturating_sub(u32::try_from(bookings.len()).unwrap_or(u32::MAX));
        let page = app
            .store
            .query(
                Query::partition(index, partition.clone())
                    .range(range.clone())
                    .limit(wanted.max(1))
                    .start(start.take()),
            )
            .await?;
        for item in &page.items {
            let booking: Booking = item.record()?;
            if status.is_none_or(|status| booking.status == status) {
                bookings.push(booking);
            }
        }
        start = page.next;
        if start.is_none() || bookings.len() >= query.limit as usize {
            break;
        }
    }
    let next = app.signing_keys().await?.cursors.next_page(&scope, start, now)?;
    Ok((bookings, next))
}
