//! The token index of a verified list: constant-time lookups of revoked token ids.

use alloc::vec::Vec;

use super::entries::RevokedToken;
use crate::claims::TokenId;

/// A directory over the sorted token ids: bucket `b` holds the ids whose top bits equal `b`,
/// so a lookup reads one directory slot and binary-searches a handful of neighbouring
/// entries. Token ids are random, so buckets stay small; a skewed list only costs time.
#[derive(Clone, Default, PartialEq, Eq)]
pub(super) struct TokenIndex {
    /// `starts[b]..starts[b + 1]` is bucket `b`; empty when the list has no tokens.
    starts: Vec<u32>,
    bits: u32,
}

impl TokenIndex {
    pub(super) fn build(tokens: &[RevokedToken]) -> TokenIndex {
        let n = tokens.len();
        if n == 0 {
            return TokenIndex::default();
        }
        // About eight entries a bucket, at most 2^20 buckets.
        let bits = (usize::BITS - 1 - n.leading_zeros())
            .saturating_sub(3)
            .min(20);
        let buckets = 1usize << bits;
        let mut starts = Vec::with_capacity(buckets + 1);
        let mut i = 0usize;
        for b in 0..buckets {
            while tokens
                .get(i)
                .is_some_and(|t| (Self::bucket(t.token_id, bits)) < b)
            {
                i += 1;
            }
            starts.push(u32::try_from(i).unwrap_or(u32::MAX));
        }
        starts.push(u32::try_from(n).unwrap_or(u32::MAX));
        TokenIndex { starts, bits }
    }

    fn bucket(id: TokenId, bits: u32) -> usize {
        let top = id.to_bytes();
        let top = u32::from_be_bytes([top[0], top[1], top[2], top[3]]);
        usize::try_from(top.checked_shr(32 - bits).unwrap_or(0)).unwrap_or(0)
    }

    pub(super) fn contains(&self, tokens: &[RevokedToken], id: TokenId) -> bool {
        let b = Self::bucket(id, self.bits);
        let range = match (self.starts.get(b), self.starts.get(b + 1)) {
            (Some(&lo), Some(&hi)) => lo as usize..hi as usize,
            _ => return false,
        };
        tokens
            .get(range)
            .is_some_and(|bucket| bucket.binary_search_by(|t| t.token_id.cmp(&id)).is_ok())
    }

    pub(super) fn heap_size(&self) -> usize {
        self.starts.capacity() * core::mem::size_of::<u32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;

    #[test]
    fn the_index_finds_exactly_the_listed_ids() {
        for n in [0usize, 1, 7, 64, 1000, 20_000] {
            let mut ids: Vec<RevokedToken> = (0..n)
                .map(|i| {
                    let mut b = [0u8; 16];
                    b[..8].copy_from_slice(
                        &(i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes(),
                    );
                    RevokedToken {
                        token_id: TokenId::from_bytes(b),
                        expires_at: Timestamp::MAX,
                    }
                })
                .collect();
            ids.sort();
            let index = TokenIndex::build(&ids);
            for t in &ids {
                assert!(index.contains(&ids, t.token_id));
                let mut other = t.token_id.to_bytes();
                other[15] ^= 1;
                assert!(!index.contains(&ids, TokenId::from_bytes(other)));
            }
        }
    }
}
