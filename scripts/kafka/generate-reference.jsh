// Kafka's own --generate algorithm as the reference for bench/kafka-rebalance:
// ReassignPartitionsCommand --generate proposes, per topic,
// AdminUtils.assignReplicasToBrokers(brokers, partitions, rf). This runs that
// very function from the cached Kafka jars on an input file, without a cluster,
// and prints how many replicas the proposal moves and the replica spread.
//
// Input ($SG_REFERENCE_INPUT): a line "brokers id:rack id:rack ..." (the
// target broker list), then per topic a line "topic <partitions> <rf>" and
// one line of comma-separated current replicas per partition.
import java.nio.file.*;
import java.util.*;
import org.apache.kafka.admin.AdminUtils;
import org.apache.kafka.admin.BrokerMetadata;

var lines = Files.readAllLines(Path.of(System.getenv("SG_REFERENCE_INPUT")));
var brokers = new ArrayList<BrokerMetadata>();
for (var tok : lines.get(0).substring("brokers ".length()).split(" ")) {
  var parts = tok.split(":");
  brokers.add(new BrokerMetadata(Integer.parseInt(parts[0]), parts.length > 1 ? Optional.of(parts[1]) : Optional.empty()));
}
long moved = 0;
var counts = new HashMap<Integer, Integer>();
for (var b : brokers) counts.put(b.id, 0);
long start = System.nanoTime();
int i = 1;
while (i < lines.size()) {
  var head = lines.get(i++).split(" ");
  int n = Integer.parseInt(head[1]), rf = Integer.parseInt(head[2]);
  var proposal = AdminUtils.assignReplicasToBrokers(brokers, n, rf);
  for (int p = 0; p < n; p++) {
    var current = new HashSet<Integer>();
    for (var s : lines.get(i + p).split(",")) current.add(Integer.parseInt(s));
    for (var b : proposal.get(p)) {
      if (!current.contains(b)) moved++;
      counts.merge(b, 1, Integer::sum);
    }
  }
  i += n;
}
long ms = (System.nanoTime() - start) / 1_000_000;
int lo = Collections.min(counts.values()), hi = Collections.max(counts.values());
System.out.println("moved " + moved + " spread " + (hi - lo) + " ms " + ms);
/exit
