//! Word-at-a-time `memcmp`/`bcmp` for the wasm build. The ones wasm32 otherwise links (weak symbols
//! of `compiler_builtins`) compare byte by byte, and the validator's column lookups (string keys in
//! ordered maps) spend about a fifth of `validate`'s time there; these strong definitions replace
//! them. Native builds keep the C library's (they compile this only to test it).

/// Compares `n` bytes at `a` and `b` as `memcmp` does: the sign of the first differing byte pair.
///
/// # Safety
/// `a` and `b` must be valid for reads of `n` bytes.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: `i + 8 <= n`, and the caller guarantees `n` readable bytes at both pointers.
        let (x, y) = unsafe {
            (
                a.add(i).cast::<u64>().read_unaligned(),
                b.add(i).cast::<u64>().read_unaligned(),
            )
        };
        if x != y {
            // Little-endian: the lowest differing bit lies in the first differing byte.
            let k = i + ((x ^ y).trailing_zeros() / 8) as usize;
            // SAFETY: `k < i + 8 <= n`.
            return unsafe { i32::from(*a.add(k)) - i32::from(*b.add(k)) };
        }
        i += 8;
    }
    while i < n {
        // SAFETY: `i < n`.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

/// Equality-only comparison (non-zero when the bytes differ), which LLVM emits for `==` on slices.
///
/// # Safety
/// As `memcmp`.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: forwarded from the caller.
    unsafe { memcmp(a, b, n) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    fn sign(n: i32) -> Ordering {
        n.cmp(&0)
    }

    #[test]
    fn orders_like_slice_comparison() {
        let base: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37)).collect();
        for len in 0..base.len() {
            for at in 0..len {
                for delta in [1u8, 0x80, 0xff] {
                    let mut other = base.clone();
                    other[at] = other[at].wrapping_add(delta);
                    let (a, b) = (&base[..len], &other[..len]);
                    // SAFETY: both slices hold `len` bytes.
                    let (got, eq) = unsafe {
                        (
                            memcmp(a.as_ptr(), b.as_ptr(), len),
                            bcmp(a.as_ptr(), b.as_ptr(), len),
                        )
                    };
                    assert_eq!(sign(got), a.cmp(b), "len {len} at {at} delta {delta}");
                    assert_ne!(eq, 0);
                }
            }
            // SAFETY: as above.
            assert_eq!(unsafe { memcmp(base.as_ptr(), base.as_ptr(), len) }, 0);
        }
    }
}
