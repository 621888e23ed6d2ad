"""What the CPU's instruction set means for int8 and for channel widths.

One home for reading ``/proc/cpuinfo``: pruning reads the SIMD width
(:func:`simd_width`), int8 quantization reads whether the CPU has VNNI
(:func:`ort_int8_scheme`).

ONNX Runtime documents that its U8S8 (uint8 activations, int8 weights) kernels
on x86-64 CPUs with AVX2 or AVX-512 but *without* VNNI use ``VPMADDUBSW``,
which adds two uint8*int8 products into a saturating int16: with full 8-bit
weights the sum overflows and outputs are wrong. On such CPUs the weights are
quantized with 7 bits (``reduce_range=True``), which keeps the pair sum inside
int16; on CPUs with VNNI (``avx512_vnni``, ``avx_vnni``, AMX) the products go
straight to int32 and full 8-bit weights are used. The same choice drives
NNCF's overflow fix for OpenVINO int8 (every layer without VNNI).
"""
from __future__ import annotations
from dataclasses import dataclass
from typing import FrozenSet, Optional

#: fp32 lanes per vector register, by the widest ISA the CPU reports.
SIMD_FP32_LANES = (('avx512f', 16), ('avx2', 8), ('avx', 8), ('sse2', 4))

#: Flags that give int8 dot products without int16 saturation.
VNNI_FLAGS = ('avx512_vnni', 'avx_vnni', 'amx_int8')


def cpu_flags(cpuinfo: str = '/proc/cpuinfo') -> FrozenSet[str]:
    """The CPU's feature flags (empty where ``cpuinfo`` cannot be read)."""
    try:
        with open(cpuinfo) as f:
            for line in f:
                if line.startswith('flags'):
                    return frozenset(line.split(':', 1)[1].split())
    except OSError:
        pass
    return frozenset()


def cpu_model(cpuinfo: str = '/proc/cpuinfo') -> str:
    """The CPU's model name (``'unknown'`` where it cannot be read)."""
    try:
        with open(cpuinfo) as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return 'unknown'


def isa_summary(flags: Optional[FrozenSet[str]] = None) -> str:
    """Short ISA description for measurement tables, e.g.
    ``'AVX2'`` or ``'AVX-512 VNNI BF16'``.

    Example:
        >>> isa_summary(frozenset({'avx2', 'avx512f', 'avx512_vnni'}))
        'AVX-512 VNNI'
    """
    flags = cpu_flags() if flags is None else flags
    if 'avx512f' in flags:
        parts = ['AVX-512']
    elif 'avx2' in flags:
        parts = ['AVX2']
    else:
        parts = ['SSE']
    if flags & set(VNNI_FLAGS):
        parts.append('VNNI')
    if 'avx512_bf16' in flags:
        parts.append('BF16')
    return ' '.join(parts)


def simd_width(cpuinfo: str = '/proc/cpuinfo') -> int:
    """fp32 SIMD lanes of this CPU: 16 (AVX-512), 8 (AVX2/AVX), 4 (SSE2, or
    unknown)."""
    flags = cpu_flags(cpuinfo)
    return next((lanes for flag, lanes in SIMD_FP32_LANES if flag in flags), 4)


@dataclass(frozen=True)
class Int8Scheme:
    """How ONNX Runtime int8 weights are quantized on one CPU.

    Attributes:
        reduce_range (bool): 7-bit weights (no int16 saturation without VNNI).
        reason (str): One line saying why, for logs and reports.
    """
    reduce_range: bool
    reason: str


def ort_int8_scheme(flags: Optional[FrozenSet[str]] = None) -> Int8Scheme:
    """Choose ORT's U8S8 weight range for this CPU.

    Args:
        flags: CPU flags; default: this CPU's (:func:`cpu_flags`).

    Returns:
        Int8Scheme

    Example:
        >>> ort_int8_scheme(frozenset({'avx2'})).reduce_range
        True
        >>> ort_int8_scheme(frozenset({'avx512f', 'avx512_vnni'})).reduce_range
        False
    """
    flags = cpu_flags() if flags is None else flags
    isa = isa_summary(flags)
    if flags & set(VNNI_FLAGS):
        return Int8Scheme(False, f'{isa}: VNNI present, 8-bit weights')
    if flags & {'avx2', 'avx512f', 'avx512bw'}:
        return Int8Scheme(
            True, f'{isa} without VNNI: 7-bit weights '
            '(reduce_range) against U8S8 saturation')
    return Int8Scheme(False, f'{isa}: no saturating int8 kernels, '
                      '8-bit weights')
