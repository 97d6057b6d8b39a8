package io.scanline.jobs.cli;

import io.scanline.kernels.backend.Backends;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "backends", description = "List the compute backends on the classpath and whether each can run here.")
final class BackendsCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        Backends.describe().forEach(System.out::println);
        return 0;
    }
}
