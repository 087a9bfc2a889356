// Kip848Consumer joins a consumer group with the KIP-848 protocol
// (group.protocol=consumer), consumes and commits until its standard input
// closes, then leaves the group. Used by consumer_test.go; run as
// java -cp 'libs/*' Kip848Consumer.java BOOTSTRAP TOPIC GROUP
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.KafkaConsumer;

public class Kip848Consumer {
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        p.put("group.id", args[2]);
        p.put("group.protocol", "consumer");
        p.put("auto.offset.reset", "earliest");
        p.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        p.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        AtomicBoolean done = new AtomicBoolean();
        Thread stdin = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                }
            } catch (Exception e) {
            }
            done.set(true);
        });
        stdin.setDaemon(true);
        stdin.start();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            c.subscribe(List.of(args[1]));
            System.out.println("subscribed");
            while (!done.get()) {
                if (!c.poll(Duration.ofMillis(200)).isEmpty()) {
                    c.commitSync();
                }
            }
        }
        System.out.println("left");
    }
}
