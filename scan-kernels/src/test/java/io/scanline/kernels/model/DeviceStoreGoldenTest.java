package io.scanline.kernels.model;

import io.scanline.kernels.golden.GoldenCase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The multi-pass families (Vim, Adventurer, ViL; ARM with row-indexed stores) keep matching their goldens, whole and chunked,
 * when their barrier stores live on a "device" (a backend that grants device room, as cuda does), and
 * every granted store is given back.
 */
class DeviceStoreGoldenTest {

    @ParameterizedTest
    @CsvSource({"vim_d2_64x64, 0", "vim_d2_64x64, 7", "adventurer_d4_e128_64x64, 0",
            "adventurer_d4_e128_64x64, 9", "vil2_d2_64x64, 0", "vil2_d2_64x64, 7", "vil1_d4_64x64, 3",
            "arm_d2_64x64, 0", "arm_d2_64x64, 5"})
    void goldenWithDeviceStores(String name, int chunk) {
        GoldenCase g = FamilyGoldenSupport.golden(name);
        DeviceStoreBackends devices = new DeviceStoreBackends();
        StreamOptions o = FamilyGoldenSupport.options(chunk); // 0: the whole image as one chunk
        ModelOutput out = FamilyGoldenSupport.build(g).forward(devices.granting(Long.MAX_VALUE), FamilyGoldenSupport.image(g), o);
        FamilyGoldenSupport.assertGolden(g, out, FamilyGoldenSupport.GOLDEN_TOL, name + " chunk " + chunk + " with device stores");
        assertTrue(devices.grants.get() > 0, name + ": no store was put on the device");
        assertEquals(0, devices.reserved.get(), name + ": device room not given back");
    }
}
