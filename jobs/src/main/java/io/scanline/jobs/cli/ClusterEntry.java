package io.scanline.jobs.cli;

/**
 * Entry class for running a {@code scanline} subcommand inside a Flink cluster: application mode
 * (Flink Kubernetes Operator) and REST jar submission run {@code main} in the JobManager's JVM,
 * where {@link ScanlineCli#main}'s {@code System.exit} would stop the JobManager itself. This entry
 * returns normally on success and throws on a non-zero exit code, so Flink reports the failure.
 */
public final class ClusterEntry {
    private ClusterEntry() {}

    public static void main(String[] args) {
        int code = ScanlineCli.execute(args);
        if (code != 0) {
            throw new IllegalStateException("scanline " + String.join(" ", args) + " failed with exit code " + code
                    + " (the reason is on the JobManager's stderr)");
        }
    }
}
