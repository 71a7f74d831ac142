//! Where connections live: one array of slots, each a whole number of cache lines, in huge
//! pages where the system gives them.
//!
//! A connection is about 900 bytes and a replay of a busy capture keeps tens of thousands of
//! them, read in no particular order: with 4 KiB pages the processor's TLB covers a fraction
//! of them, and in a virtual machine each TLB miss walks two page tables. Kept in 2 MiB pages,
//! tracking a million connections took 6 % less time (bench/README.md, tenth round); boxed
//! one by one, they could not be. The table holds a connection's [`Slot`], and a slot given
//! back is the next one taken, while it is still in the cache.

use super::conn::Connection;
use crate::decode::Segment;
use crate::source::Timestamp;

/// Where one connection is in the [`Slab`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot(u32);

/// A connection in whole cache lines: a segment touches nearly all of its lines, and a
/// connection across one line more (a 1,008-byte one at any offset spans 17 lines, not 16)
/// was 8 % slower to track (bench/README.md, eighth round).
#[derive(Clone, Debug)]
#[repr(align(64))]
struct Cell(Connection);

/// Slots made room for at first, unless told ([`Slab::with_capacity`]): 16,384 slots of 896
/// bytes are 14 MiB, seven huge pages. Memory is only used as slots are, so a small capture
/// touches little of it.
const FIRST: usize = 1 << 14;

#[derive(Clone, Debug, Default)]
pub struct Slab {
    cells: Vec<Cell>,
    /// Slots given back, the last given back on top.
    free: Vec<Slot>,
}

impl Slab {
    /// A slab with room for `n` connections before it grows.
    pub fn with_capacity(n: usize) -> Slab {
        let mut cells = Vec::with_capacity(n);
        crate::sys::advise_huge_pages(cells.spare_capacity_mut());
        Slab {
            cells,
            free: Vec::new(),
        }
    }

    pub fn get(&self, slot: Slot) -> &Connection {
        &self.cells[slot.0 as usize].0
    }

    /// Bring the connection in `slot` into the cache: all of its slot's lines (a slot is
    /// aligned to them, so this is a known run of prefetches).
    #[inline]
    pub fn prefetch(&self, slot: Slot) {
        crate::sys::prefetch(&self.cells[slot.0 as usize]);
    }

    pub fn get_mut(&mut self, slot: Slot) -> &mut Connection {
        &mut self.cells[slot.0 as usize].0
    }

    /// A slot holding `Connection::new(seg, ts)`: the slot given back last, while there is
    /// one (set in place, [`Connection::reset`]), else a new one.
    ///
    /// The slot that will be taken after the next one is fetched into the cache: writing a
    /// connection into cold memory waits line by line (two ahead was about 1 % faster than
    /// one ahead, and three ahead slower).
    pub fn insert(&mut self, seg: &Segment, ts: Timestamp) -> Slot {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.get_mut(slot).reset(seg, ts);
                slot
            }
            None => self.push(Connection::new(seg, ts)),
        };
        if let Some(&after_next) = self.free.len().checked_sub(2).map(|i| &self.free[i]) {
            self.prefetch(after_next);
        }
        slot
    }

    /// A new slot for `conn`. When the slots are all taken, their number doubles: the
    /// connections move into new memory advised into huge pages before they are written
    /// there (a `Vec`'s own growth would copy them into small pages first); slots are
    /// positions, so none is lost.
    fn push(&mut self, conn: Connection) -> Slot {
        if self.cells.len() == self.cells.capacity() {
            let mut cells = Vec::with_capacity(self.cells.len() + self.cells.len().max(FIRST));
            crate::sys::advise_huge_pages(cells.spare_capacity_mut());
            cells.append(&mut self.cells);
            self.cells = cells;
        }
        let slot = Slot(u32::try_from(self.cells.len()).expect("fewer than 2^32 connections"));
        self.cells.push(Cell(conn));
        slot
    }

    /// Give `slot` back, its connection retired (summarised): it keeps its memory, and its
    /// buffers go back to the allocator.
    pub fn remove(&mut self, slot: Slot) {
        self.get_mut(slot).release_buffers();
        self.free.push(slot);
    }

    /// Slots in use.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.cells.len() - self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{TcpFlags, TcpOptions};

    fn syn(port: u16) -> Segment {
        Segment {
            src: format!("10.0.0.1:{port}").parse().unwrap(),
            dst: "10.0.0.2:80".parse().unwrap(),
            seq: u32::from(port),
            ack: 0,
            flags: TcpFlags(0x002),
            window: 1000,
            options: TcpOptions::default(),
            payload_len: 0,
            captured_payload: 0,
        }
    }

    fn port_of(slab: &Slab, slot: Slot) -> u16 {
        slab.get(slot).client.addr.port()
    }

    #[test]
    fn a_slot_is_whole_cache_lines() {
        assert_eq!(std::mem::size_of::<Cell>() % 64, 0);
        assert_eq!(std::mem::align_of::<Cell>(), 64);
    }

    #[test]
    fn slots_keep_their_connections_as_the_slab_grows() {
        let mut slab = Slab::default();
        let n = FIRST + 10;
        let slots: Vec<Slot> = (0..n)
            .map(|i| slab.insert(&syn(i as u16), Timestamp::default()))
            .collect();
        assert_eq!(slab.cells.capacity(), 2 * FIRST);
        assert_eq!(slab.len(), n);
        for (i, slot) in slots.iter().enumerate() {
            assert_eq!(port_of(&slab, *slot), i as u16);
        }
    }

    #[test]
    fn the_last_slot_given_back_is_the_next_taken_as_a_new_connection() {
        let mut slab = Slab::default();
        let a = slab.insert(&syn(1), Timestamp::default());
        let b = slab.insert(&syn(2), Timestamp::default());
        let c = slab.insert(&syn(3), Timestamp::default());
        slab.remove(a);
        slab.remove(c);
        assert_eq!(slab.len(), 1);
        let d = slab.insert(&syn(4), Timestamp::default());
        assert_eq!(d, c);
        assert_eq!(port_of(&slab, d), 4);
        let e = slab.insert(&syn(5), Timestamp::default());
        assert_eq!(e, a);
        assert_eq!(port_of(&slab, b), 2);
        // The reused slot holds a connection as new, not what the retired one left.
        let fresh = Connection::new(&syn(5), Timestamp::default());
        assert_eq!(format!("{:?}", slab.get(e)), format!("{fresh:?}"));
    }
}
