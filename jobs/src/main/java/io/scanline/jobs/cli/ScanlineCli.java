package io.scanline.jobs.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code scanline.jar}. Each subcommand lives in its own class; add new ones to
 * {@code subcommands} below.
 */
@Command(name = "scanline", mixinStandardHelpOptions = true, version = "scanline 0.1.0",
        description = "Streaming long-sequence vision models over gigapixel images.",
        subcommands = {VerifyCommand.class, BenchCommand.class, BackendsCommand.class, BenchModelsCommand.class})
public final class ScanlineCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static int execute(String... args) {
        return new CommandLine(new ScanlineCli()).execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
