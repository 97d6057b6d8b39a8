package io.scanline.jobs.flink;

import io.scanline.operators.ChunkRecord;
import io.scanline.operators.EngineSpec;
import io.scanline.operators.PatchifyFunction;
import io.scanline.operators.RecurrentScanOperator;
import io.scanline.operators.ScanEvent;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.Serializable;
import java.util.function.Function;

/**
 * The one job graph of every mode: image references → patchify → keyBy(image id) → recurrent scan →
 * results sink, and every rejection (unreadable image, gap, bad chunk) → dead-letter sink. Sources and
 * sinks are constructor arguments; the modes differ only in what is plugged in and in the execution
 * settings ({@code main}s only wire).
 *
 * <p>Chunk records get their sequence number as event timestamp: in BATCH execution (backfill) Flink
 * sorts keyed input by key and timestamp, which keeps each image's chunks in scan order.
 */
public final class ScanJobGraph {
    private final Function<StreamExecutionEnvironment, SingleOutputStreamOperator<ChunkRecord>> chunkSource;
    private final Sink<ScanEvent> results;
    private final Sink<ScanEvent> deadLetters;
    private final JobSettings settings;
    private boolean features;

    public ScanJobGraph(Function<StreamExecutionEnvironment, DataStream<String>> imageRefs, Sink<ScanEvent> results,
                        Sink<ScanEvent> deadLetters, JobSettings settings) {
        this(settings, env -> imageRefs.apply(env)
                .process(new PatchifyFunction(settings.patchSize(), settings.chunkPatches(), settings.tilePatches()))
                .name("patchify").uid("patchify")
                .returns(TypeInformation.of(ChunkRecord.class)), results, deadLetters);
    }

    /**
     * A graph whose chunk records come from {@code chunkSource} (e.g. the Kafka image protocol); its
     * rejections are read from its {@link PatchifyFunction#DEAD_LETTERS} side output.
     */
    public static ScanJobGraph fromChunks(Function<StreamExecutionEnvironment, SingleOutputStreamOperator<ChunkRecord>> chunkSource,
                                          Sink<ScanEvent> results, Sink<ScanEvent> deadLetters, JobSettings settings) {
        return new ScanJobGraph(settings, chunkSource, results, deadLetters);
    }

    private ScanJobGraph(JobSettings settings, Function<StreamExecutionEnvironment, SingleOutputStreamOperator<ChunkRecord>> chunkSource,
                         Sink<ScanEvent> results, Sink<ScanEvent> deadLetters) {
        this.chunkSource = chunkSource;
        this.results = results;
        this.deadLetters = deadLetters;
        this.settings = settings;
    }

    /** PATCHES events carry the final token features, for a results sink that runs dense heads on them. */
    public ScanJobGraph withFeatures() {
        features = true;
        return this;
    }

    public void addTo(StreamExecutionEnvironment env) {
        JobSettings s = settings;
        SingleOutputStreamOperator<ChunkRecord> chunks = chunkSource.apply(env);
        DataStream<ChunkRecord> timed = chunks.assignTimestampsAndWatermarks(
                WatermarkStrategy.<ChunkRecord>noWatermarks().withTimestampAssigner((r, ts) -> r.seq))
                .name("chunk-order").uid("chunk-order");
        EngineSpec spec = EngineSpec.of(s.modelDir(), s.backend());
        SingleOutputStreamOperator<ScanEvent> events = timed
                .keyBy(new ImageKey())
                .transform("recurrent-scan", TypeInformation.of(ScanEvent.class),
                        new RecurrentScanOperator(spec, s.maxBundleChunks(), s.maxBundleBytes(), features))
                .uid("recurrent-scan")
                .setParallelism(s.parallelism());
        boolean patches = s.emitPatches() || features;
        events.filter(e -> e.kind == ScanEvent.Kind.RESULT || (patches && e.kind == ScanEvent.Kind.PATCHES))
                .name("results").uid("results-filter")
                .sinkTo(results).name("results-sink").uid("results-sink");
        events.filter(e -> e.kind == ScanEvent.Kind.DEAD_LETTER).name("scan-rejects").uid("scan-rejects")
                .union(chunks.getSideOutput(PatchifyFunction.DEAD_LETTERS))
                .sinkTo(deadLetters).name("dead-letter-sink").uid("dead-letter-sink");
    }

    /** Key selector as a named class: lambdas lose generic types in keyed state descriptors. */
    static final class ImageKey implements org.apache.flink.api.java.functions.KeySelector<ChunkRecord, String>, Serializable {
        @Override
        public String getKey(ChunkRecord r) {
            return r.imageId;
        }
    }
}
