package io.scanline.kernels.tensor;

/** Element types of stored tensors. Compute happens in F32 (D2); F16/BF16 are widened on read. */
public enum DType {
    F64(8, "F64"),
    F32(4, "F32"),
    F16(2, "F16"),
    BF16(2, "BF16");

    public final int bytes;
    /** The dtype string used by the safetensors header. */
    public final String safetensorsName;

    DType(int bytes, String safetensorsName) {
        this.bytes = bytes;
        this.safetensorsName = safetensorsName;
    }

    /** @return the dtype for a safetensors dtype string, or null when it is not one we read. */
    public static DType fromSafetensors(String name) {
        for (DType d : values()) {
            if (d.safetensorsName.equals(name)) return d;
        }
        return null;
    }
}
