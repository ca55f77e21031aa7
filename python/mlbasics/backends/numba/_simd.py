"""Short SIMD vectors for Numba kernels: a few intrinsics that emit LLVM vector instructions.

Numba leaves LLVM's SLP vectorizer off (``NUMBA_SLP_VECTORIZE=0``), and its loop vectorizer
only vectorizes innermost loops, so an outer-product GEMM micro-kernel — a tile of C held in
registers, updated by one row of a packed B panel times broadcast values of a packed A
panel — cannot be had from scalar code: the tile comes out as scalar FMAs. These intrinsics
give the kernel explicit vector values instead. A vector is an SSA value (an LLVM
``<W x float>``), so a handful of them written as local variables stay in registers, and the
kernel itself is still written in Python syntax (see ``gemm.py``).

A vector spans ``VECTOR_BYTES`` bytes: the widest register the compilation target has
(64 with AVX-512, 32 with AVX/AVX2, 16 otherwise — SSE2, NEON). It is found once, at import,
by compiling a probe with Numba's own target machine, so it follows ``NUMBA_CPU_NAME`` and
``NUMBA_CPU_FEATURES`` exactly as the compiled kernels do (the on-disk cache is keyed by the
same CPU name and features, so a cached kernel always matches this value).

Multiply-add is a ``fmul`` and an ``fadd`` with the ``contract`` flag only: one FMA where the
target has FMA, a multiply and an add where it has not (never a libm call), and IEEE NaN/inf
propagation either way.
"""
from llvmlite import ir
from numba.core import cgutils, types
from typing import Any, Callable

from numba.extending import intrinsic as _intrinsic, models, register_model

#: numba's ``intrinsic``, typed for mypy as what it is used as here: a decorator whose result is
#: called from jitted code with the arguments after ``typingctx``.
intrinsic: Callable[[Callable[..., Any]], Any] = _intrinsic

__all__ = ["VECTOR_BYTES", "TRANSPOSE_DEPTH", "vzero", "vload", "vbcast", "vfma", "vstore", "vstore_add", "vstore1",
           "vtranspose", "vcopy", "prefetch"]


def _probe_vector_bytes():
    """Width in bytes of the widest vector register Numba's target machine uses for float math."""
    try:
        import llvmlite.binding as ll
        from numba.core.registry import cpu_target

        tm = cpu_target.target_context.codegen()._tm  # the target machine every kernel is compiled with
        mod = ir.Module(name="mlbasics_simd_probe")
        mod.triple = tm.triple
        vty = ir.VectorType(ir.FloatType(), 16)
        fn = ir.Function(mod, ir.FunctionType(ir.VoidType(), [vty.as_pointer()]), name="probe")
        b = ir.IRBuilder(fn.append_basic_block())
        p = fn.args[0]
        v = b.load(p, align=4)
        b.store(b.fadd(v, v), p, align=4)
        b.ret_void()
        asm = tm.emit_assembly(ll.parse_assembly(str(mod)))
    except Exception:  # pragma: no cover - an unexpected Numba/llvmlite layout: the safe width
        return 16
    if "zmm" in asm:
        return 64
    if "ymm" in asm:
        return 32
    return 16


VECTOR_BYTES = _probe_vector_bytes()


class Vec(types.Type):
    """A vector of ``width`` values of the float type ``dtype`` (an LLVM vector value)."""

    def __init__(self, dtype, width):
        self.dtype = dtype
        self.width = width
        super().__init__(name=f"Vec({dtype} x {width})")


@register_model(Vec)
class _VecModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, ir.VectorType(dmm.lookup(fe_type.dtype).get_value_type(), fe_type.width))


def _vec_of(arr):
    """The vector type that goes with an array of float32 or float64 (None for anything else)."""
    if not isinstance(arr, types.Array) or arr.dtype not in (types.float32, types.float64):
        return None
    return Vec(arr.dtype, VECTOR_BYTES // (arr.dtype.bitwidth // 8))


def _item_ptr(context, builder, arrty, arr, indices):
    """Pointer to arr[indices] (no wraparound, no bounds check), for any ndim and layout."""
    ary = context.make_array(arrty)(context, builder, arr)
    shape = cgutils.unpack_tuple(builder, ary.shape, arrty.ndim)
    strides = cgutils.unpack_tuple(builder, ary.strides, arrty.ndim)
    return cgutils.get_item_pointer2(context, builder, ary.data, shape, strides, arrty.layout, indices)


def _indices(context, builder, sig, args, start, ndim):
    return [context.cast(builder, args[start + d], sig.args[start + d], types.intp) for d in range(ndim)]


@intrinsic
def vzero(typingctx, arr):
    """A vector of zeros, of arr's dtype."""
    vt = _vec_of(arr)
    if vt is None:
        return None

    def codegen(context, builder, sig, args):
        return ir.Constant(context.get_value_type(vt), None)

    return vt(arr), codegen


@intrinsic
def vload(typingctx, arr, i):
    """The vector arr[i : i + W] of a 1-D array whose elements are contiguous there (unaligned load)."""
    vt = _vec_of(arr)
    if vt is None or arr.ndim != 1 or not isinstance(i, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        p = _item_ptr(context, builder, sig.args[0], args[0], _indices(context, builder, sig, args, 1, 1))
        vty = context.get_value_type(vt)
        return builder.load(builder.bitcast(p, vty.as_pointer()), align=arr.dtype.bitwidth // 8)

    return vt(arr, i), codegen


@intrinsic
def vbcast(typingctx, arr, i):
    """The vector with every lane equal to arr[i] (1-D array)."""
    vt = _vec_of(arr)
    if vt is None or arr.ndim != 1 or not isinstance(i, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        p = _item_ptr(context, builder, sig.args[0], args[0], _indices(context, builder, sig, args, 1, 1))
        vty = context.get_value_type(vt)
        v = builder.insert_element(ir.Constant(vty, ir.Undefined), builder.load(p), ir.Constant(ir.IntType(32), 0))
        mask = ir.Constant(ir.VectorType(ir.IntType(32), vt.width), [0] * vt.width)
        return builder.shuffle_vector(v, ir.Constant(vty, ir.Undefined), mask)

    return vt(arr, i), codegen


@intrinsic
def vfma(typingctx, a, b, c):
    """a * b + c, contracted to one fused multiply-add where the target has FMA."""
    if not (isinstance(a, Vec) and a == b == c):
        return None

    def codegen(context, builder, sig, args):
        t = builder.fmul(args[0], args[1], flags=("contract",))
        return builder.fadd(t, args[2], flags=("contract",))

    return c(a, b, c), codegen


def _store_typer(arr, i, j, v, add):
    """Typing and code of arr[i, j : j + W] (+)= v for a 2-D array contiguous along its last axis there."""
    if not (isinstance(v, Vec) and isinstance(arr, types.Array) and arr.ndim == 2 and arr.dtype == v.dtype
            and arr.mutable and isinstance(i, types.Integer) and isinstance(j, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        inds = _indices(context, builder, sig, args, 1, 2)
        p = builder.bitcast(_item_ptr(context, builder, sig.args[0], args[0], inds), args[3].type.as_pointer())
        align = arr.dtype.bitwidth // 8
        val = args[3]
        if add:
            val = builder.fadd(builder.load(p, align=align), val)
        builder.store(val, p, align=align)
        return context.get_dummy_value()

    return types.none(arr, i, j, v), codegen


@intrinsic
def vstore(typingctx, arr, i, j, v):
    """arr[i, j : j + W] = v (2-D arr, contiguous along its last axis there; unaligned store)."""
    return _store_typer(arr, i, j, v, False)


@intrinsic
def vstore_add(typingctx, arr, i, j, v):
    """arr[i, j : j + W] += v (2-D arr, contiguous along its last axis there)."""
    return _store_typer(arr, i, j, v, True)


@intrinsic
def vstore1(typingctx, arr, i, v):
    """arr[i : i + W] = v (1-D arr, contiguous there; unaligned store)."""
    if not (isinstance(v, Vec) and isinstance(arr, types.Array) and arr.ndim == 1 and arr.dtype == v.dtype
            and arr.mutable and isinstance(i, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        p = _item_ptr(context, builder, sig.args[0], args[0], _indices(context, builder, sig, args, 1, 1))
        builder.store(args[2], builder.bitcast(p, args[2].type.as_pointer()), align=arr.dtype.bitwidth // 8)
        return context.get_dummy_value()

    return types.none(arr, i, v), codegen


#: Depth of one ``vtranspose`` step (values read from each source row).
TRANSPOSE_DEPTH = 4


@intrinsic
def vtranspose(typingctx, dst, d, ds, src, s, ss, rows):
    """dst[d + p*ds + i] = src[s + i*ss + p] for i < rows (a literal), p < TRANSPOSE_DEPTH (1-D arrays):
    ``rows`` short rows of a source read as vectors, stored as TRANSPOSE_DEPTH vectors of ``rows`` values.
    Packs an operand whose rows are contiguous into panels that are contiguous across them."""
    if not (isinstance(rows, types.IntegerLiteral) and isinstance(dst, types.Array) and isinstance(src, types.Array)
            and dst.ndim == 1 and src.ndim == 1 and dst.dtype == src.dtype and dst.mutable
            and dst.dtype in (types.float32, types.float64)):
        return None
    r, n = rows.literal_value, TRANSPOSE_DEPTH

    def codegen(context, builder, sig, args):
        dstv, dv, dsv, srcv, sv, ssv = [args[0]] + [context.cast(builder, args[i], sig.args[i], types.intp)
                                                    for i in (1, 2)] + [args[3]] + \
            [context.cast(builder, args[i], sig.args[i], types.intp) for i in (4, 5)]
        fty = context.get_value_type(sig.args[3].dtype)
        align = sig.args[3].dtype.bitwidth // 8
        vin = ir.VectorType(fty, n)
        vecs = []
        for i in range(r):
            idx = builder.add(sv, builder.mul(ssv, ir.Constant(ssv.type, i)))
            ptr = _item_ptr(context, builder, sig.args[3], srcv, [idx])
            vecs.append(builder.load(builder.bitcast(ptr, vin.as_pointer()), align=align))
        total = 1
        while total < r:
            total *= 2
        vecs += [ir.Constant(vin, ir.Undefined)] * (total - r)
        width = n
        while len(vecs) > 1:  # concatenate: one vector of total * n values, row after row
            mask = ir.Constant(ir.VectorType(ir.IntType(32), 2 * width), list(range(2 * width)))
            vecs = [builder.shuffle_vector(vecs[i], vecs[i + 1], mask) for i in range(0, len(vecs), 2)]
            width *= 2
        big = vecs[0]
        vout = ir.VectorType(fty, r)
        for p in range(n):
            mask = ir.Constant(ir.VectorType(ir.IntType(32), r), [i * n + p for i in range(r)])
            col = builder.shuffle_vector(big, ir.Constant(big.type, ir.Undefined), mask)
            idx = builder.add(dv, builder.mul(dsv, ir.Constant(dsv.type, p)))
            ptr = _item_ptr(context, builder, sig.args[0], dstv, [idx])
            builder.store(col, builder.bitcast(ptr, vout.as_pointer()), align=align)
        return context.get_dummy_value()

    return types.none(dst, d, ds, src, s, ss, rows), codegen


@intrinsic
def vcopy(typingctx, dst, d, src, s, n):
    """dst[d : d + n] = src[s : s + n] for a literal n (1-D arrays): one short vector load and store."""
    if not (isinstance(n, types.IntegerLiteral) and isinstance(dst, types.Array) and isinstance(src, types.Array)
            and dst.ndim == 1 and src.ndim == 1 and dst.dtype == src.dtype and dst.mutable
            and dst.dtype in (types.float32, types.float64)):
        return None
    count = n.literal_value

    def codegen(context, builder, sig, args):
        vty = ir.VectorType(context.get_value_type(sig.args[0].dtype), count)
        align = sig.args[0].dtype.bitwidth // 8
        ps = _item_ptr(context, builder, sig.args[2], args[2], _indices(context, builder, sig, args, 3, 1))
        pd = _item_ptr(context, builder, sig.args[0], args[0], _indices(context, builder, sig, args, 1, 1))
        val = builder.load(builder.bitcast(ps, vty.as_pointer()), align=align)
        builder.store(val, builder.bitcast(pd, vty.as_pointer()), align=align)
        return context.get_dummy_value()

    return types.none(dst, d, src, s, n), codegen


@intrinsic
def prefetch(typingctx, arr, i, j):
    """Hint that arr[i, j] (2-D arr) is about to be read and written (llvm.prefetch, into L1)."""
    if not (isinstance(arr, types.Array) and arr.ndim == 2 and isinstance(i, types.Integer)
            and isinstance(j, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        ptr = _item_ptr(context, builder, sig.args[0], args[0], _indices(context, builder, sig, args, 1, 2))
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 1), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.none(arr, i, j), codegen
