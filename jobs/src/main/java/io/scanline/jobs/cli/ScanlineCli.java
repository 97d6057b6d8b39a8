package io.scanline.jobs.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code scanline.jar}. Each subcommand lives in its own class; add new ones to
 * {@code subcommands} below.
 */
@Command(name = "scanline", mixinStandardHelpOptions = true, version = "scanline 0.1.0",
        description = "Streaming long-sequence vision models over gigapixel images.",
        subcommands = {
                VerifyCommand.class,
                BenchCommand.class,
                BenchModelsCommand.class,
                BackendsCommand.class,
                InspectCommand.class,
                PlanCommand.class,
                RunLocalCommand.class,
                RunKafkaCommand.class,
                SegmentCommand.class,
                SendCommand.class,
        })
public final class ScanlineCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new ScanlineCli());
        // Users get one line naming the problem, not a stack trace (set SCANLINE_DEBUG=1 for traces).
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("error: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            if (System.getenv("SCANLINE_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
