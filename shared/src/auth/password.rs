//! Password hashes: Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane), computed one
//! at a time in a single block of memory that each process allocates once and reuses.
//!
//! Why one long-lived hashing thread that owns the memory, fed by a channel:
//! - Allocating 19 MiB per hash on tokio's blocking pool (what this did before) left every
//!   freed block in the allocator's arena of whichever pool thread ran it: a `register`
//!   Lambda's peak RSS climbed to 215 MB after 50 sequential events (docs/performance.md).
//!   One block, allocated once, keeps a process at the block plus its baseline.
//! - Lambdas run a current-thread runtime (`shared::lambda`), where `block_in_place` panics.
//!   Hashing inline on the calling task would do there (one event at a time), but the same
//!   code serves the multi-threaded local API, where ~20 ms of Argon2 would stall a worker
//!   (and the timers and I/O it drives) on every login. A separate thread blocks no runtime
//!   thread under either flavour; callers only await a oneshot answer.
//! - The channel is the queue: concurrent requests wait their turn (FIFO) instead of
//!   allocating, at most one hash runs per process, and the thread needs no lock on its
//!   memory. The thread is started, and the memory touched, on the first hash only, so
//!   functions that never hash pay nothing. It belongs to no runtime, so it outlives the
//!   per-test runtimes of `#[tokio::test]` too.

use std::sync::Mutex;
use std::sync::mpsc::{self, Sender};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::password_hash::try_generate_salt;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;
use tokio::sync::oneshot;

use crate::error::ApiError;

/// OWASP Password Storage Cheat Sheet: m = 19 MiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;
/// Bytes of hash output (the argon2 crate's default, so existing PHC strings keep their form).
const OUTPUT_LEN: usize = Params::DEFAULT_OUTPUT_LEN;

/// A hash of a password nobody knows, with the same parameters: verifying against it makes
/// a login for an unknown email cost what one for a known email costs.
pub const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$eW6Ob8w4H9Xwz9rYq0h8cH6n9o1o4QmZ0r5mVj1m6Qw";

/// Work for the hashing thread, given its memory (exactly `MEMORY_KIB` blocks).
type Job = Box<dyn FnOnce(&mut [Block]) + Send>;

/// The hashing thread's queue; `None` until the first hash, and again if the thread is gone.
static QUEUE: Mutex<Option<Sender<Job>>> = Mutex::new(None);

/// How many times a process allocated hashing memory (the tests check it stays at one).
#[cfg(test)]
static MEMORY_ALLOCATIONS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn params() -> Result<Params, ApiError> {
    Params::new(MEMORY_KIB, PASSES, LANES, Some(OUTPUT_LEN)).map_err(ApiError::internal)
}

fn spawn_hashing_thread() -> Result<Sender<Job>, ApiError> {
    let blocks = params()?.block_count();
    let (sender, jobs) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("argon2".to_owned())
        .spawn(move || {
            #[cfg(test)]
            MEMORY_ALLOCATIONS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut memory = vec![Block::new(); blocks];
            // Ends when every sender is gone, i.e. never in a running process.
            while let Ok(job) = jobs.recv() {
                job(&mut memory);
            }
        })
        .map_err(ApiError::internal)?;
    Ok(sender)
}

/// Runs `work` on the hashing thread, after the jobs queued before it.
async fn on_hashing_thread<T: Send + 'static>(
    work: impl FnOnce(&mut [Block]) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let (reply, answer) = oneshot::channel();
    let job: Job = Box::new(move |memory| {
        // A caller that gave up (its request was dropped) no longer holds up the queue.
        if !reply.is_closed() {
            let _ = reply.send(work(memory));
        }
    });
    {
        // Held for a send only, never across an await.
        let mut queue = QUEUE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if queue.is_none() {
            *queue = Some(spawn_hashing_thread()?);
        }
        if let Some(Err(mpsc::SendError(job))) = queue.as_ref().map(|sender| sender.send(job)) {
            // The thread is gone (it cannot panic short of a bug): start another one.
            let sender = spawn_hashing_thread()?;
            sender
                .send(job)
                .map_err(|_| ApiError::internal("password hashing thread stopped"))?;
            *queue = Some(sender);
        }
    }
    answer
        .await
        .map_err(|_| ApiError::internal("password hashing thread stopped"))?
}

/// The PHC string of `password` with a fresh random 16-byte salt. Runs on the hashing thread,
/// so other requests keep flowing; concurrent calls queue.
pub async fn hash(password: String) -> Result<String, ApiError> {
    on_hashing_thread(move |memory| hash_in(memory, password.as_bytes())).await
}

/// Whether `password` matches `phc`. A malformed stored hash never matches. Runs on the
/// hashing thread, like [`hash`].
pub async fn verify(password: String, phc: String) -> Result<bool, ApiError> {
    on_hashing_thread(move |memory| verify_in(memory, password.as_bytes(), &phc)).await
}

fn hash_in(memory: &mut [Block], password: &[u8]) -> Result<String, ApiError> {
    let salt = try_generate_salt().map_err(ApiError::internal)?;
    let params = params()?;
    let mut output = [0u8; OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, &salt, &mut output, memory)
        .map_err(ApiError::internal)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(ApiError::internal)?,
        salt: Some(Salt::new(&salt).map_err(ApiError::internal)?),
        hash: Some(Output::new(&output).map_err(ApiError::internal)?),
    };
    Ok(phc.to_string())
}

/// Recomputes the hash with the algorithm, version and parameters `phc` names (as argon2's
/// `PasswordVerifier` does), then compares in constant time.
fn verify_in(memory: &mut [Block], password: &[u8], phc: &str) -> Result<bool, ApiError> {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return Ok(false);
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return Ok(false);
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return Ok(false);
    };
    let Ok(version) = parsed.version.map_or(Ok(Version::default()), Version::try_from) else {
        return Ok(false);
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return Ok(false);
    };
    // Every hash this code writes fits; a bigger one would need memory this process does not
    // keep, and locking its owner out silently would hide the problem.
    if params.block_count() > memory.len() {
        return Err(ApiError::internal(format!(
            "stored password hash needs {} KiB, over the {MEMORY_KIB} KiB kept for hashing",
            params.m_cost()
        )));
    }
    let mut buffer = [0u8; Output::MAX_LENGTH];
    let Some(computed) = buffer.get_mut(..expected.len()) else {
        return Ok(false);
    };
    if Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, &mut *computed, &mut *memory)
        .is_err()
    {
        return Ok(false);
    }
    Ok(computed.ct_eq(expected.as_bytes()).into())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    use super::*;

    /// What `hash` and `verify` were before the shared memory: argon2's own hasher.
    fn crate_hasher(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    #[tokio::test]
    async fn hashes_verify_and_use_owasp_parameters() {
        let phc = hash("correct horse".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse".into(), phc.clone()).await.unwrap());
        assert!(!verify("wrong horse".into(), phc).await.unwrap());
    }

    #[tokio::test]
    async fn each_hash_has_a_fresh_16_byte_salt_and_a_32_byte_output() {
        let first = hash("same password".into()).await.unwrap();
        let second = hash("same password".into()).await.unwrap();
        assert_ne!(first, second);
        for phc in [first, second] {
            let parsed = PasswordHash::new(&phc).unwrap();
            assert_eq!(parsed.salt.unwrap().len(), 16);
            assert_eq!(parsed.hash.unwrap().len(), 32);
        }
    }

    #[tokio::test]
    async fn the_decoy_is_well_formed_and_matches_nothing_obvious() {
        assert!(PasswordHash::new(DECOY_HASH).is_ok());
        assert!(!verify("password".into(), DECOY_HASH.into()).await.unwrap());
    }

    #[tokio::test]
    async fn new_hashes_verify_with_the_crates_verifier() {
        let phc = hash("correct horse".into()).await.unwrap();
        let parsed = PasswordHash::new(&phc).unwrap();
        let verifier = crate_hasher(params().unwrap());
        assert!(verifier.verify_password(b"correct horse", &parsed).is_ok());
        assert!(verifier.verify_password(b"wrong horse", &parsed).is_err());
    }

    #[tokio::test]
    async fn hashes_from_the_crates_hasher_verify_here() {
        let stored = crate_hasher(Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap())
            .hash_password(b"correct horse")
            .unwrap()
            .to_string();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse".into(), stored.clone()).await.unwrap());
        assert!(!verify("wrong horse".into(), stored).await.unwrap());
    }

    #[tokio::test]
    async fn a_stored_hash_is_checked_with_the_parameters_it_names() {
        // Smaller memory, one pass, a 16-byte output: still within the kept memory.
        let stored = crate_hasher(Params::new(1024, 1, 1, Some(16)).unwrap())
            .hash_password(b"correct horse")
            .unwrap()
            .to_string();
        assert!(verify("correct horse".into(), stored.clone()).await.unwrap());
        assert!(!verify("wrong horse".into(), stored).await.unwrap());
    }

    #[tokio::test]
    async fn malformed_hashes_never_match() {
        for phc in [
            "",
            "not a hash",
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA",
            "$bcrypt$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$eW6Ob8w4H9Xwz9rYq0h8cH6n9o1o4QmZ0r5mVj1m6Qw",
            "$argon2id$v=99$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$eW6Ob8w4H9Xwz9rYq0h8cH6n9o1o4QmZ0r5mVj1m6Qw",
        ] {
            assert!(!verify("password".into(), phc.into()).await.unwrap(), "{phc}");
        }
    }

    #[tokio::test]
    async fn a_hash_needing_more_memory_than_is_kept_is_an_error() {
        let phc = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$eW6Ob8w4H9Xwz9rYq0h8cH6n9o1o4QmZ0r5mVj1m6Qw";
        assert!(verify("password".into(), phc.into()).await.is_err());
    }

    /// Many hashes at once, from a multi-threaded runtime (the local API's), queue on the one
    /// hashing thread: all succeed and verify, and the process allocated its memory once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_hashes_all_succeed_and_verify() {
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                tokio::spawn(async move {
                    let password = format!("password number {i}");
                    let phc = hash(password.clone()).await.unwrap();
                    assert!(verify(password, phc.clone()).await.unwrap());
                    assert!(!verify(format!("password number {}", i + 1), phc.clone()).await.unwrap());
                    phc
                })
            })
            .collect();
        let phcs = tokio::time::timeout(Duration::from_secs(60), futures::future::try_join_all(tasks))
            .await
            .expect("12 hashes and 24 verifications within a minute")
            .unwrap();
        let distinct: std::collections::HashSet<_> = phcs.iter().collect();
        assert_eq!(distinct.len(), phcs.len());
        assert_eq!(MEMORY_ALLOCATIONS.load(Ordering::SeqCst), 1);
    }

    /// The same on a current-thread runtime (a Lambda's), where the waiting callers share the
    /// one runtime thread and the hashing runs on none of them.
    #[tokio::test]
    async fn concurrent_hashes_on_a_current_thread_runtime_all_succeed() {
        let round_trips = (0..4).map(|i| async move {
            let password = format!("current thread {i}");
            let phc = hash(password.clone()).await?;
            verify(password, phc).await
        });
        let matches = tokio::time::timeout(Duration::from_secs(30), futures::future::try_join_all(round_trips))
            .await
            .expect("4 hashes and 4 verifications within 30 s")
            .unwrap();
        assert_eq!(matches, vec![true; 4]);
        assert_eq!(MEMORY_ALLOCATIONS.load(Ordering::SeqCst), 1);
    }
}
