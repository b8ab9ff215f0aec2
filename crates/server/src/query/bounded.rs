//! `repeat`, `lpad` and `rpad` with a bound on what they build.
//!
//! One call such as `repeat('a', 2e9)` allocates its whole result at once, outside DataFusion's memory
//! pool (and at planning time, when constants are folded), so the process could be OOM-killed before any
//! limit saw it. These wrappers compute an upper bound on the result's size from the arguments and
//! refuse the call past [`MAX_RESULT_BYTES`]; otherwise they are the built-in functions.
use arrow::array::{Array, ArrayRef, Int64Array};
use arrow::compute::kernels::length::length;
use arrow::compute::{cast, max};
use arrow::datatypes::{DataType, FieldRef, Int64Type};
use datafusion::common::{exec_datafusion_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature,
};
use std::sync::Arc;

/// Most bytes (for the pads: characters) one call may produce, over all its rows.
pub const MAX_RESULT_BYTES: u64 = 64 * 1024 * 1024;

/// The functions wrapped, with whether the size of the result also grows with the input string's
/// length (`repeat`) or only with the requested length (the pads).
const WRAPPED: [(&str, bool); 3] = [("repeat", true), ("lpad", false), ("rpad", false)];

/// The bounded versions of the built-ins `lookup` finds (those it does not know are left out).
pub fn bounded_functions(lookup: impl Fn(&str) -> Option<Arc<ScalarUDF>>) -> Vec<ScalarUDF> {
    WRAPPED
        .iter()
        .filter_map(|&(name, times_input)| {
            let inner = lookup(name)?;
            Some(ScalarUDF::new_from_impl(Bounded {
                inner: inner.as_ref().clone(),
                times_input,
            }))
        })
        .collect()
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Bounded {
    inner: ScalarUDF,
    times_input: bool,
}

impl ScalarUDFImpl for Bounded {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows as u64;
        let (Some(input), Some(count)) = (args.args.first(), args.args.get(1)) else {
            return self.inner.invoke_with_args(args);
        };
        let mut size = sum_positive(count, rows)?;
        if self.times_input {
            size = size.saturating_mul(longest(input)?);
        }
        if size > MAX_RESULT_BYTES {
            let unit = if self.times_input {
                "bytes"
            } else {
                "characters"
            };
            return Err(exec_datafusion_err!(
                "{}() would build {size} {unit}, more than the limit of {MAX_RESULT_BYTES} for one call",
                self.name()
            ));
        }
        self.inner.invoke_with_args(args)
    }
}

/// The sum over all rows of the positive values of an integer argument.
fn sum_positive(value: &ColumnarValue, rows: u64) -> Result<u64> {
    let (array, repeat) = match value {
        ColumnarValue::Scalar(scalar) => (scalar.to_array_of_size(1)?, rows),
        ColumnarValue::Array(array) => (Arc::clone(array), 1),
    };
    let ints = cast(&array, &DataType::Int64)?;
    let ints = ints
        .as_any()
        .downcast_ref::<Int64Array>()
        .ok_or_else(|| exec_datafusion_err!("cast to Int64 gave another type"))?;
    let sum = ints
        .iter()
        .flatten()
        .map(|n| n.max(0) as u64)
        .fold(0u64, u64::saturating_add);
    Ok(sum.saturating_mul(repeat))
}

/// The byte length of the longest string of a string argument.
fn longest(value: &ColumnarValue) -> Result<u64> {
    let array: ArrayRef = match value {
        ColumnarValue::Scalar(scalar) => scalar.to_array_of_size(1)?,
        ColumnarValue::Array(array) => Arc::clone(array),
    };
    if array.is_empty() {
        return Ok(0);
    }
    let lengths = cast(&length(&array)?, &DataType::Int64)?;
    let lengths = lengths
        .as_any()
        .downcast_ref::<Int64Array>()
        .ok_or_else(|| exec_datafusion_err!("cast to Int64 gave another type"))?;
    Ok(max::<Int64Type>(lengths).unwrap_or(0).max(0) as u64)
}
