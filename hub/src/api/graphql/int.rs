//! GraphQL's `Int` held in a wider Rust integer.
//!
//! The specification of GraphQL makes `Int` a signed 32-bit integer (−2³¹ … 2³¹−1). The
//! hub's counts, seconds, ids and limits are `u32`, `u64` and `i64`, and async-graphql's own
//! scalars for those types take anything up to the Rust type's width: `extendLock(minutes:
//! 2147483648)` was accepted. Every `Int` the API *takes* in such a type is an [`Int<T>`]:
//! a value outside 32 bits, or outside `T` (a negative count), is refused naming the
//! argument, as a literal and as a variable alike, and `T`'s own range is said in the
//! message. `i32` inputs (page sizes) need no wrapper: async-graphql holds them to 32 bits.
//!
//! Written here rather than taken from a crate: it is an async-graphql scalar of a dozen
//! lines, and no crate provides range-checked integer scalars for it. It keeps the GraphQL
//! name `Int`, so the schema does not change (async-graphql registers scalars by name).

use async_graphql::{InputValueError, InputValueResult, Number, Scalar, ScalarType, Value};
use num_traits::Bounded;
use serde::{Deserialize, Serialize};
use std::fmt::Display;

/// An `Int` input whose Rust value is a `T`; see the module header.
/// (De)serialized as the bare number, so types shared with the REST documents keep their shape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Int<T>(pub T);

impl<T: Copy> Int<T> {
    /// The value, in the type the service takes.
    pub fn get(self) -> T {
        self.0
    }
}

/// The values an `Int<T>` takes: GraphQL's 32 bits, narrowed to `T`'s range.
fn bounds<T: Into<i128> + Bounded>() -> (i64, i64) {
    let lo = T::min_value().into().max(i128::from(i32::MIN));
    let hi = T::max_value().into().min(i128::from(i32::MAX));
    // Both are within i32 by construction.
    (lo as i64, hi as i64)
}

#[Scalar(name = "Int")]
impl<T> ScalarType for Int<T>
where
    T: TryFrom<i64> + Into<i128> + Bounded + Copy + Display + Send + Sync,
{
    fn parse(value: Value) -> InputValueResult<Self> {
        let (lo, hi) = bounds::<T>();
        let out_of_range =
            || InputValueError::custom(format!("Only integers from {lo} to {hi} are accepted."));
        match &value {
            Value::Number(n) => {
                let n = n.as_i64().ok_or_else(out_of_range)?;
                if !(lo..=hi).contains(&n) {
                    return Err(out_of_range());
                }
                T::try_from(n).map(Int).map_err(|_| out_of_range())
            }
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    /// What validation checks before any resolver runs (one check for every `Int`, as
    /// async-graphql keeps one per scalar name): GraphQL's 32 bits.
    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::Number(n) if n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()))
    }

    fn to_value(&self) -> Value {
        Value::Number(Number::from(
            i64::try_from(self.0.into()).unwrap_or(i64::MAX),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T>(n: i64) -> Result<T, String>
    where
        T: TryFrom<i64> + Into<i128> + Bounded + Copy + Display + Send + Sync,
    {
        <Int<T> as ScalarType>::parse(Value::from(n))
            .map(Int::get)
            .map_err(|e| e.into_server_error(Default::default()).message)
    }

    #[test]
    fn takes_graphql_32_bits_narrowed_to_the_rust_type() {
        assert_eq!(parse::<u32>(0), Ok(0));
        assert_eq!(parse::<u64>(2_147_483_647), Ok(2_147_483_647));
        assert_eq!(parse::<i64>(-2_147_483_648), Ok(-2_147_483_648));
        for wide in [2_147_483_648, i64::MAX, 4_294_967_296] {
            let e = parse::<u64>(wide).unwrap_err();
            assert!(e.contains("from 0 to 2147483647"), "{e}");
            assert!(parse::<i64>(wide).is_err());
        }
        assert!(
            parse::<i64>(-2_147_483_649)
                .unwrap_err()
                .contains("from -2147483648 to 2147483647")
        );
        assert!(
            parse::<u32>(-1)
                .unwrap_err()
                .contains("from 0 to 2147483647")
        );
        let text = <Int<u32> as ScalarType>::parse(Value::from("5")).unwrap_err();
        assert!(
            text.into_server_error(Default::default())
                .message
                .contains("Int")
        );
        assert!(!<Int<u32> as ScalarType>::is_valid(&Value::from(
            2_147_483_648_i64
        )));
        assert!(<Int<u32> as ScalarType>::is_valid(&Value::from(-1)));
    }
}
