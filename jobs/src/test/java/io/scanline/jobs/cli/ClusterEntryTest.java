package io.scanline.jobs.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cluster entry never exits the JVM: success returns, failure throws. */
class ClusterEntryTest {
    @Test
    void successReturnsNormally() {
        assertDoesNotThrow(() -> ClusterEntry.main(new String[]{"--version"}));
    }

    @Test
    void failureThrowsInsteadOfExiting() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ClusterEntry.main(new String[]{"no-such-subcommand"}));
        assertTrue(e.getMessage().contains("exit code"), e.getMessage());
    }
}
