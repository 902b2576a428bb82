//! Listing photos. For now only the check an uploaded file must pass before it is shown; the
//! upload slots, the photo records, their order and the routes are to come.

pub mod verify;
