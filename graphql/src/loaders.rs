//! Per-request DataLoaders over the store's batch get: the links of a page (20 bookings'
//! properties, their hosts) cost one `batch_get` per kind and level, not one `get` each.

use std::collections::HashMap;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Error};
use shared::App;
use shared::error::ApiError;
use shared::properties::Property;
use shared::store::MAX_BATCH_GET_KEYS;
use shared::store::keys;
use shared::users::User;

use crate::error::OrGraphql;

/// Properties by id, as stored (a booking keeps showing its property after a delete).
pub struct PropertyLoader(&'static App);

/// Users by id.
pub struct UserLoader(&'static App);

/// The loaders of one request (they cache, so they never outlive it).
pub struct Loaders {
    properties: DataLoader<PropertyLoader>,
    users: DataLoader<UserLoader>,
}

/// How long a loader waits for the rest of a page's keys before reading, on a multi-thread
/// runtime (the local API): sibling fields register theirs in the same poll, but the batch
/// task may start on another thread meanwhile, so a short wait keeps a level in one batch.
const BATCH_WINDOW: Duration = Duration::from_micros(200);

/// The wait on the current-thread runtime of a Lambda sandbox: none, since the batch task
/// cannot run before the resolvers yield, by which time every sibling has registered its key.
fn batch_window() -> Duration {
    match tokio::runtime::Handle::try_current().map(|handle| handle.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::CurrentThread) => Duration::ZERO,
        _ => BATCH_WINDOW,
    }
}

impl Loaders {
    /// Fresh loaders for one request.
    pub fn new(app: &'static App) -> Self {
        let spawn = |future| {
            tokio::spawn(future);
        };
        let window = batch_window();
        Self {
            properties: DataLoader::new(PropertyLoader(app), spawn)
                .delay(window)
                .max_batch_size(MAX_BATCH_GET_KEYS),
            users: DataLoader::new(UserLoader(app), spawn)
                .delay(window)
                .max_batch_size(MAX_BATCH_GET_KEYS),
        }
    }
}

/// Reads `ids` of the records under `key` in one batch get per 100 ids; ids that are not
/// ULIDs never reach the store.
async fn batch<T: serde::de::DeserializeOwned>(
    app: &App,
    ids: &[String],
    key: fn(&str) -> shared::store::Key,
    id_of: fn(&T) -> &str,
) -> Result<HashMap<String, T>, ApiError> {
    let mut found = HashMap::new();
    let wanted: Vec<&String> = ids.iter().filter(|id| ulid::Ulid::from_string(id).is_ok()).collect();
    for chunk in wanted.chunks(MAX_BATCH_GET_KEYS) {
        let keys: Vec<_> = chunk.iter().map(|id| key(id)).collect();
        for item in app.store.batch_get(&keys).await? {
            let record: T = item.into_record()?;
            found.insert(id_of(&record).to_owned(), record);
        }
    }
    Ok(found)
}

impl Loader<String> for PropertyLoader {
    type Value = Property;
    type Error = ApiError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Property>, ApiError> {
        batch(self.0, ids, keys::property, |p: &Property| &p.id).await
    }
}

impl Loader<String> for UserLoader {
    type Value = User;
    type Error = ApiError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, User>, ApiError> {
        batch(self.0, ids, keys::user, |u: &User| &u.id).await
    }
}

fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<Loaders>()
}

/// The property `id`, if it exists.
pub async fn property(ctx: &Context<'_>, id: &str) -> Result<Option<Property>, Error> {
    loaders(ctx).properties.load_one(id.to_owned()).await.gql()
}

/// The user `id`, if they exist.
pub async fn user(ctx: &Context<'_>, id: &str) -> Result<Option<User>, Error> {
    loaders(ctx).users.load_one(id.to_owned()).await.gql()
}
