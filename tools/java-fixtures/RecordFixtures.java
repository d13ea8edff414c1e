// Reference fixtures for samsa's record batch codec, made and checked by the official Java client.
//
//   write <dir>   writes record batch files built with MemoryRecordsBuilder, each with a .jsonl file of what
//                 the Java client reads back from it, plus murmur2.jsonl (Utils.murmur2 of a set of keys)
//   read <file>   validates every batch of <file> (CRC included) and prints one JSON line per batch
//   murmur2       reads hex-encoded keys, one per line, from stdin and prints one JSON line per key
//
// Compiled and run by tools/java-fixtures/java-fixtures.ts; see test/fixtures/records/README.md.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Utils;

public final class RecordFixtures {
    private static final long T0 = 1_700_000_000_000L;
    private static final long PRODUCER_ID = 4242L;
    private static final short PRODUCER_EPOCH = 3;

    public static void main(String[] args) throws Exception {
        switch (args.length == 0 ? "" : args[0]) {
            case "write" -> write(Path.of(args[1]));
            case "read" -> System.out.print(describe(ByteBuffer.wrap(Files.readAllBytes(Path.of(args[1])))));
            case "murmur2" -> murmur2FromStdin();
            default -> {
                System.err.println("usage: RecordFixtures write <dir> | read <file> | murmur2 < hex-keys");
                System.exit(2);
            }
        }
    }

    // ---- fixtures -------------------------------------------------------------------------------------

    private static SimpleRecord[] sampleRecords() {
        Header[] headers = {
            new RecordHeader("trace-id", bytes("abc-123")),
            new RecordHeader("empty", new byte[0]),
            new RecordHeader("null-value", null),
            new RecordHeader("trace-id", bytes("repeated key")),
            new RecordHeader("ünïcødé-κλειδί", bytes("värde ✓")),
        };
        return new SimpleRecord[] {
            new SimpleRecord(T0, bytes("key-0"), bytes("value-0")),
            new SimpleRecord(T0 + 5, bytes("key-1"), null),
            new SimpleRecord(T0 - 17, null, bytes("no key")),
            new SimpleRecord(T0 + 1_000_000, bytes(""), bytes(""), headers),
            new SimpleRecord(T0 + 2, bytes("🔑"), bytes("x".repeat(300))),
        };
    }

    private static MemoryRecords build(Compression compression, TimestampType type, long baseOffset,
                                       long producerId, short epoch, int baseSequence, boolean transactional,
                                       SimpleRecord... records) {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        MemoryRecordsBuilder builder = MemoryRecords.builder(buffer, RecordBatch.CURRENT_MAGIC_VALUE, compression,
            type, baseOffset, type == TimestampType.LOG_APPEND_TIME ? T0 + 99 : RecordBatch.NO_TIMESTAMP,
            producerId, epoch, baseSequence, transactional, 7);
        for (SimpleRecord r : records) builder.append(r);
        return builder.build();
    }

    private static void write(Path dir) throws Exception {
        Files.createDirectories(dir);
        MemoryRecords none = build(Compression.NONE, TimestampType.CREATE_TIME, 0L,
            RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH, RecordBatch.NO_SEQUENCE, false, sampleRecords());
        MemoryRecords gzip = build(Compression.gzip().build(), TimestampType.CREATE_TIME, 1000L,
            RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH, RecordBatch.NO_SEQUENCE, false, sampleRecords());
        MemoryRecords logAppend = build(Compression.NONE, TimestampType.LOG_APPEND_TIME, 77L,
            RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH, RecordBatch.NO_SEQUENCE, false,
            new SimpleRecord(T0, bytes("a"), bytes("1")), new SimpleRecord(T0 + 1, bytes("b"), bytes("2")));
        MemoryRecords transactional = build(Compression.NONE, TimestampType.CREATE_TIME, 5_000_000_000L,
            PRODUCER_ID, PRODUCER_EPOCH, 11, true,
            new SimpleRecord(T0, bytes("tx-key-0"), bytes("tx-value-0")),
            new SimpleRecord(T0 + 1, bytes("tx-key-1"), bytes("tx-value-1")));
        MemoryRecords commit = MemoryRecords.withEndTransactionMarker(5_000_000_002L, T0 + 10, 7, PRODUCER_ID,
            PRODUCER_EPOCH, new EndTransactionMarker(ControlRecordType.COMMIT, 21));
        MemoryRecords abort = MemoryRecords.withEndTransactionMarker(5_000_000_003L, T0 + 11, 7, PRODUCER_ID,
            PRODUCER_EPOCH, new EndTransactionMarker(ControlRecordType.ABORT, 22));

        save(dir, "none", none.buffer());
        save(dir, "gzip", gzip.buffer());
        save(dir, "log-append-time", logAppend.buffer());
        save(dir, "transactional", transactional.buffer());
        save(dir, "control-commit", commit.buffer());
        save(dir, "control-abort", abort.buffer());
        // A log slice as a fetch returns it: several batches back to back.
        save(dir, "log-slice", concat(none.buffer(), gzip.buffer(), transactional.buffer(), commit.buffer()));

        StringBuilder vectors = new StringBuilder();
        for (byte[] key : murmur2Keys()) vectors.append(murmur2Json(key)).append('\n');
        Files.writeString(dir.resolve("murmur2.jsonl"), vectors.toString());
    }

    private static List<byte[]> murmur2Keys() {
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < 100; i++) keys.add(bytes("key-" + i));
        keys.add(new byte[0]);
        for (String s : new String[] {"a", "ab", "abc", "abcd", "abcde", "Ünïcødé ключ 键 🔑", "∂ƒ©˙∆˚¬"}) keys.add(bytes(s));
        byte[] high = new byte[37];
        for (int i = 0; i < high.length; i++) high[i] = (byte) (0xff - i * 7);
        keys.add(high);
        return keys;
    }

    private static void save(Path dir, String name, ByteBuffer records) throws Exception {
        byte[] data = new byte[records.remaining()];
        records.duplicate().get(data);
        Files.write(dir.resolve(name + ".bin"), data);
        Files.writeString(dir.resolve(name + ".jsonl"), describe(ByteBuffer.wrap(data)));
    }

    private static ByteBuffer concat(ByteBuffer... parts) {
        int size = 0;
        for (ByteBuffer p : parts) size += p.remaining();
        ByteBuffer all = ByteBuffer.allocate(size);
        for (ByteBuffer p : parts) all.put(p.duplicate());
        return all.flip();
    }

    // ---- reading --------------------------------------------------------------------------------------

    /** One JSON line per batch, after checking it the way the Java consumer does. */
    private static String describe(ByteBuffer data) {
        StringBuilder out = new StringBuilder();
        for (MutableRecordBatch batch : MemoryRecords.readableRecords(data).batches()) {
            batch.ensureValid();
            StringBuilder json = new StringBuilder("{");
            field(json, "baseOffset", str(batch.baseOffset())).append(',');
            field(json, "lastOffset", str(batch.lastOffset())).append(',');
            field(json, "sizeInBytes", Integer.toString(batch.sizeInBytes())).append(',');
            field(json, "partitionLeaderEpoch", Integer.toString(batch.partitionLeaderEpoch())).append(',');
            field(json, "crc", Long.toString(batch.checksum())).append(',');
            field(json, "compression", str(batch.compressionType().name)).append(',');
            field(json, "timestampType", str(batch.timestampType() == TimestampType.LOG_APPEND_TIME ? "log-append" : "create")).append(',');
            field(json, "isTransactional", Boolean.toString(batch.isTransactional())).append(',');
            field(json, "isControl", Boolean.toString(batch.isControlBatch())).append(',');
            field(json, "maxTimestamp", str(batch.maxTimestamp())).append(',');
            field(json, "producerId", str(batch.producerId())).append(',');
            field(json, "producerEpoch", Short.toString(batch.producerEpoch())).append(',');
            field(json, "baseSequence", Integer.toString(batch.baseSequence())).append(',');
            field(json, "recordCount", Integer.toString(batch.countOrNull())).append(',');
            List<String> records = new ArrayList<>();
            String control = "null";
            for (Record record : batch) {
                if (batch.isControlBatch()) {
                    ControlRecordType type = ControlRecordType.parse(record.key());
                    String epoch = "null";
                    if (type == ControlRecordType.COMMIT || type == ControlRecordType.ABORT) {
                        epoch = Integer.toString(EndTransactionMarker.deserialize(record).coordinatorEpoch());
                    }
                    control = "{\"type\":" + str(type == ControlRecordType.COMMIT ? "commit" : type == ControlRecordType.ABORT ? "abort" : "other")
                        + ",\"typeId\":" + type.type() + ",\"coordinatorEpoch\":" + epoch + "}";
                    continue;
                }
                record.ensureValid();
                StringBuilder r = new StringBuilder("{");
                field(r, "offset", str(record.offset())).append(',');
                field(r, "timestamp", str(record.timestamp())).append(',');
                field(r, "key", base64(record.key())).append(',');
                field(r, "value", base64(record.value())).append(',');
                List<String> headers = new ArrayList<>();
                for (Header h : record.headers()) {
                    headers.add("{\"key\":" + str(h.key()) + ",\"value\":" + base64(h.value() == null ? null : ByteBuffer.wrap(h.value())) + "}");
                }
                r.append("\"headers\":[").append(String.join(",", headers)).append("]}");
                records.add(r.toString());
            }
            field(json, "control", control).append(',');
            json.append("\"records\":[").append(String.join(",", records)).append("]}");
            out.append(json).append('\n');
        }
        return out.toString();
    }

    // ---- murmur2 --------------------------------------------------------------------------------------

    private static void murmur2FromStdin() throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        for (String line; (line = in.readLine()) != null; ) {
            System.out.println(murmur2Json(java.util.HexFormat.of().parseHex(line.trim())));
        }
    }

    private static String murmur2Json(byte[] key) {
        int hash = Utils.murmur2(key);
        return "{\"keyHex\":" + str(java.util.HexFormat.of().formatHex(key)) + ",\"murmur2\":" + hash
            + ",\"toPositive\":" + Utils.toPositive(hash) + "}";
    }

    // ---- JSON -----------------------------------------------------------------------------------------

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static StringBuilder field(StringBuilder json, String name, String rawValue) {
        return json.append('"').append(name).append("\":").append(rawValue);
    }

    /** int64 values go out as strings so JSON.parse loses no precision. */
    private static String str(long n) {
        return "\"" + n + "\"";
    }

    private static String base64(ByteBuffer b) {
        if (b == null) return "null";
        byte[] data = new byte[b.remaining()];
        b.duplicate().get(data);
        return "\"" + Base64.getEncoder().encodeToString(data) + "\"";
    }

    private static String str(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') out.append('\\').append(c);
            else if (c < 0x20 || c > 0x7e) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        return out.append('"').toString();
    }
}
