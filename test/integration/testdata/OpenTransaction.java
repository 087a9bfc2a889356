// OpenTransaction is a transactional producer that writes N messages to
// partition 0 of a topic in one transaction and keeps the transaction open
// until a line "commit" arrives on its standard input; then it commits,
// prints "committed", and exits when its standard input closes. Used by
// producers_test.go; run as
// java -cp 'libs/*' OpenTransaction.java BOOTSTRAP TOPIC TRANSACTIONAL_ID N TIMEOUT_MS
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

public class OpenTransaction {
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        p.put("transactional.id", args[2]);
        p.put("transaction.timeout.ms", args[4]);
        p.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        p.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        int n = Integer.parseInt(args[3]);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < n; i++) {
                producer.send(new ProducerRecord<>(args[1], 0, null, ("message " + i).getBytes())).get();
            }
            System.out.println("open");
            String line;
            while ((line = in.readLine()) != null && !line.equals("commit")) {
            }
            producer.commitTransaction();
            System.out.println("committed");
            while (in.readLine() != null) {
            }
        }
    }
}
