//! A bus that remembers what was published, for tests that call the outbox or the sweep
//! directly rather than through an app.

use std::sync::Mutex;

use async_trait::async_trait;
use shared::events::{BusError, Event, EventBus, Queue};

#[derive(Default)]
pub struct RecordingBus(Mutex<Vec<(Queue, Event)>>);

#[async_trait]
impl EventBus for RecordingBus {
    async fn publish(&self, queue: Queue, event: &Event) -> Result<(), BusError> {
        self.0.lock().expect("recording bus").push((queue, event.clone()));
        Ok(())
    }
}

impl RecordingBus {
    /// What was published since the last call, in order.
    pub fn take(&self) -> Vec<(Queue, Event)> {
        std::mem::take(&mut self.0.lock().expect("recording bus"))
    }
}
