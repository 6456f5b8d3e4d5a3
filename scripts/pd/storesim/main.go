// storesim: simulated TiKV stores for `scripts/testenv pd` (our own code).
//
// PD alone has no stores, real TiKV is not available from any package
// registry, and PD's own pd-simulator (tools/pd-simulator) cannot stop a
// single store, dials exactly one PD address (so it loses every store once
// the PD leader moves) and, in the PD versions the Go module proxy serves
// with the tools inside the root module, has no case that never ends. This
// program plays N TiKV stores against a real PD cluster through PD's gRPC API
// (pdpb): it bootstraps the cluster, sends store and region heartbeats from
// the region leaders, executes the operators PD answers with (add learner,
// promote, remove peer, transfer leader, joint consensus), elects new leaders
// when a store stops, and reports peers on stopped stores as down peers. A
// small HTTP API on 127.0.0.1 stops, starts and adds stores. See
// docs/testenv-pd.md.
//
// It is a model, not a distributed system: all regions live in this one
// process, so a stopped store's peers simply reappear when it starts again
// (minus those PD removed meanwhile), with no raft log to catch up.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pingcap/kvproto/pkg/eraftpb"
	"github.com/pingcap/kvproto/pkg/metapb"
	"github.com/pingcap/kvproto/pkg/pdpb"
	"google.golang.org/grpc"
)

var (
	flagPD        = flag.String("pd", "http://127.0.0.1:2379", "comma-separated PD client URLs")
	flagStores    = flag.Int("stores", 4, "stores to create when this bootstraps the cluster")
	flagRegions   = flag.Int("regions", 48, "regions to create when this bootstraps the cluster")
	flagListen    = flag.String("listen", "127.0.0.1:23811", "address of the control/status HTTP API")
	flagAddrBase  = flag.Int("store-port-base", 20160, "store N advertises 127.0.0.1:<base+N> (never listened on)")
	flagVersion   = flag.String("store-version", "7.6.0", "TiKV version the stores report")
	flagStoreHB   = flag.Duration("store-heartbeat", 2*time.Second, "store heartbeat interval")
	flagRegionHB  = flag.Duration("region-heartbeat", 10*time.Second, "interval of full region heartbeats")
	flagElection  = flag.Duration("election-timeout", 5*time.Second, "time after which the peers of a stopped leader elect a new one")
	flagApply     = flag.Duration("apply-delay", 200*time.Millisecond, "time an operator step takes to apply")
	flagRegionMiB = flag.Uint64("region-size-mib", 64, "approximate size each region reports")
	flagCapGiB    = flag.Uint64("capacity-gib", 100, "capacity each store reports")
)

const mib = 1 << 20

type store struct {
	id        uint64
	addr      string
	started   time.Time
	stopped   bool      // silenced by the control API: no heartbeats at all
	stoppedAt time.Time // for down_seconds and elections
	tombstone bool      // PD buried it; like TiKV, it never comes back
	kick      chan struct{}
	gen       int // bumped on every stop/start so that old loops exit
}

type region struct {
	meta   *metapb.Region
	leader uint64 // peer id
	term   uint64
	dirty  bool // changed since its last heartbeat
}

type sim struct {
	mu      sync.Mutex
	pd      *pdClient
	stores  map[uint64]*store
	regions map[uint64]*region
	ctx     context.Context
}

func main() {
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &sim{
		pd:      newPDClient(strings.Split(*flagPD, ",")),
		stores:  map[uint64]*store{},
		regions: map[uint64]*region{},
		ctx:     ctx,
	}
	// Listen first: the status API answers "starting" while PD is not ready,
	// and a port conflict shows up at once.
	ln, err := net.Listen("tcp", *flagListen)
	if err != nil {
		log.Fatalf("listen %s: %v", *flagListen, err)
	}
	ready := make(chan struct{})
	go func() { _ = http.Serve(ln, s.api(ready)) }()

	for {
		if err = s.setup(); err == nil {
			break
		}
		log.Printf("setup: %v (retrying)", err)
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return
		}
	}
	close(ready)
	go s.electionLoop()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	log.Printf("exiting")
}

// --- PD connection ---------------------------------------------------------------

// pdClient talks to whichever member is the PD leader: followers refuse
// heartbeats, and tests move the leadership around.
type pdClient struct {
	mu        sync.Mutex
	endpoints []string
	conns     map[string]*grpc.ClientConn
	leader    string
	clusterID uint64
}

func newPDClient(endpoints []string) *pdClient {
	return &pdClient{endpoints: endpoints, conns: map[string]*grpc.ClientConn{}}
}

func (c *pdClient) conn(url string) (*grpc.ClientConn, error) {
	if cc, ok := c.conns[url]; ok {
		return cc, nil
	}
	// A short reconnect backoff: a PD member restarted by a test must be
	// reachable again within a second or two, not after grpc's 2 minutes.
	cc, err := grpc.Dial(strings.TrimPrefix(url, "http://"), grpc.WithInsecure(),
		grpc.WithBackoffMaxDelay(time.Second))
	if err != nil {
		return nil, err
	}
	c.conns[url] = cc
	return cc, nil
}

func (c *pdClient) dropLocked(url string) {
	if cc, ok := c.conns[url]; ok {
		_ = cc.Close()
		delete(c.conns, url)
	}
	if c.leader == url {
		c.leader = ""
	}
}

// client returns a PD client bound to the current leader.
func (c *pdClient) client(ctx context.Context) (pdpb.PDClient, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.leader != "" {
		cc, err := c.conn(c.leader)
		if err == nil {
			return pdpb.NewPDClient(cc), c.leader, nil
		}
	}
	var lastErr error
	for _, ep := range c.endpoints {
		cc, err := c.conn(ep)
		if err != nil {
			lastErr = err
			continue
		}
		tctx, cancel := context.WithTimeout(ctx, time.Second)
		resp, err := pdpb.NewPDClient(cc).GetMembers(tctx, &pdpb.GetMembersRequest{})
		cancel()
		if err != nil {
			lastErr = err
			c.dropLocked(ep)
			continue
		}
		if resp.GetLeader() == nil || len(resp.GetLeader().GetClientUrls()) == 0 {
			lastErr = fmt.Errorf("%s knows no leader", ep)
			continue
		}
		c.clusterID = resp.GetHeader().GetClusterId()
		// Learn members added later, so that losing all the original
		// endpoints is survivable.
		for _, m := range resp.GetMembers() {
			for _, u := range m.GetClientUrls() {
				if !contains(c.endpoints, u) {
					c.endpoints = append(c.endpoints, u)
				}
			}
		}
		c.leader = resp.GetLeader().GetClientUrls()[0]
		lcc, err := c.conn(c.leader)
		if err != nil {
			return nil, "", err
		}
		return pdpb.NewPDClient(lcc), c.leader, nil
	}
	return nil, "", fmt.Errorf("no PD leader found: %v", lastErr)
}

// failed forgets the leader after an error so that the next call looks again.
func (c *pdClient) failed(url string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked(url)
}

func (c *pdClient) header() *pdpb.RequestHeader {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &pdpb.RequestHeader{ClusterId: c.clusterID}
}

func (c *pdClient) currentLeader() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leader
}

func headerErr(h *pdpb.ResponseHeader) error {
	if e := h.GetError(); e != nil && e.GetType() != pdpb.ErrorType_OK {
		return fmt.Errorf("%s: %s", e.GetType(), e.GetMessage())
	}
	return nil
}

// unary runs one RPC against the leader with a timeout, retrying once on
// another leader.
func unary[T interface{ GetHeader() *pdpb.ResponseHeader }](s *sim, call func(context.Context, pdpb.PDClient, *pdpb.RequestHeader) (T, error)) (T, error) {
	var zero T
	var lastErr error
	for attempt := 0; attempt < 2; attempt++ {
		cli, url, err := s.pd.client(s.ctx)
		if err != nil {
			return zero, err
		}
		ctx, cancel := context.WithTimeout(s.ctx, 3*time.Second)
		resp, err := call(ctx, cli, s.pd.header())
		cancel()
		if err != nil {
			s.pd.failed(url)
			lastErr = err
			continue
		}
		return resp, headerErr(resp.GetHeader())
	}
	return zero, lastErr
}

func (s *sim) allocID() (uint64, error) {
	resp, err := unary(s, func(ctx context.Context, c pdpb.PDClient, h *pdpb.RequestHeader) (*pdpb.AllocIDResponse, error) {
		return c.AllocID(ctx, &pdpb.AllocIDRequest{Header: h})
	})
	if err != nil {
		return 0, err
	}
	return resp.GetId(), nil
}

// --- setup -------------------------------------------------------------------------

func (s *sim) storeMeta(st *store) *metapb.Store {
	return &metapb.Store{
		Id:             st.id,
		Address:        st.addr,
		StatusAddress:  st.addr,
		Version:        *flagVersion,
		State:          metapb.StoreState_Up,
		StartTimestamp: st.started.Unix(),
		DeployPath:     "/spotguide/storesim",
	}
}

func (s *sim) newStore(id uint64) *store {
	return &store{id: id, addr: fmt.Sprintf("127.0.0.1:%d", *flagAddrBase+int(id)),
		started: time.Now(), kick: make(chan struct{}, 1)}
}

// setup bootstraps the cluster, or adopts the stores and regions of one that
// an earlier run of this program bootstrapped (a restart after a crash or a
// `testenv pd up` that found the simulator dead).
func (s *sim) setup() error {
	boot, err := unary(s, func(ctx context.Context, c pdpb.PDClient, h *pdpb.RequestHeader) (*pdpb.IsBootstrappedResponse, error) {
		return c.IsBootstrapped(ctx, &pdpb.IsBootstrappedRequest{Header: h})
	})
	if err != nil {
		return err
	}
	if boot.GetBootstrapped() {
		return s.adopt()
	}
	return s.bootstrap()
}

func (s *sim) bootstrap() error {
	if *flagStores < 1 || *flagRegions < 1 {
		return fmt.Errorf("need at least one store and one region")
	}
	var storeIDs []uint64
	for i := 0; i < *flagStores; i++ {
		id, err := s.allocID()
		if err != nil {
			return err
		}
		storeIDs = append(storeIDs, id)
	}
	first := s.newStore(storeIDs[0])
	r1, err := s.allocID()
	if err != nil {
		return err
	}
	p1, err := s.allocID()
	if err != nil {
		return err
	}
	// Like TiKV: the first store bootstraps with one region holding all keys
	// and a single peer; everything else arrives as heartbeats.
	_, err = unary(s, func(ctx context.Context, c pdpb.PDClient, h *pdpb.RequestHeader) (*pdpb.BootstrapResponse, error) {
		return c.Bootstrap(ctx, &pdpb.BootstrapRequest{Header: h, Store: s.storeMeta(first),
			Region: &metapb.Region{Id: r1, RegionEpoch: &metapb.RegionEpoch{ConfVer: 1, Version: 1},
				Peers: []*metapb.Peer{{Id: p1, StoreId: first.id}}}})
	})
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	log.Printf("bootstrapped the cluster with store %d, region %d", first.id, r1)
	stores := []*store{first}
	for _, id := range storeIDs[1:] {
		st := s.newStore(id)
		if err := s.putStore(st); err != nil {
			return err
		}
		stores = append(stores, st)
	}
	// The regions a split of the first region would have produced, each
	// with three voters spread round-robin (fewer with fewer stores).
	// Version 2 marks them newer than the bootstrap region they replace.
	n := *flagRegions
	replicas := 3
	if len(stores) < replicas {
		replicas = len(stores)
	}
	var regions []*region
	for i := 0; i < n; i++ {
		id := r1
		if i > 0 {
			if id, err = s.allocID(); err != nil {
				return err
			}
		}
		meta := &metapb.Region{Id: id, RegionEpoch: &metapb.RegionEpoch{ConfVer: uint64(1 + replicas), Version: 2}}
		if i > 0 {
			meta.StartKey = regionKey(i)
		}
		if i < n-1 {
			meta.EndKey = regionKey(i + 1)
		}
		for j := 0; j < replicas; j++ {
			pid := p1
			if i > 0 || j > 0 {
				if pid, err = s.allocID(); err != nil {
					return err
				}
			}
			meta.Peers = append(meta.Peers, &metapb.Peer{Id: pid, StoreId: stores[(i+j)%len(stores)].id, Role: metapb.PeerRole_Voter})
		}
		regions = append(regions, &region{meta: meta, leader: meta.Peers[0].Id, term: 1, dirty: true})
	}
	s.mu.Lock()
	for _, st := range stores {
		s.stores[st.id] = st
	}
	for _, r := range regions {
		s.regions[r.meta.Id] = r
	}
	s.mu.Unlock()
	for _, st := range stores {
		s.startLoops(st)
	}
	log.Printf("created %d stores %v and %d regions", len(stores), storeIDs, n)
	return nil
}

// regionKey is the start key of the i-th region: readable and ordered.
func regionKey(i int) []byte { return []byte(fmt.Sprintf("spotguide-%06d", i)) }

func (s *sim) putStore(st *store) error {
	_, err := unary(s, func(ctx context.Context, c pdpb.PDClient, h *pdpb.RequestHeader) (*pdpb.PutStoreResponse, error) {
		return c.PutStore(ctx, &pdpb.PutStoreRequest{Header: h, Store: s.storeMeta(st)})
	})
	if err != nil {
		return fmt.Errorf("put store %d: %w", st.id, err)
	}
	return nil
}

func (s *sim) adopt() error {
	all, err := unary(s, func(ctx context.Context, c pdpb.PDClient, h *pdpb.RequestHeader) (*pdpb.GetAllStoresResponse, error) {
		return c.GetAllStores(ctx, &pdpb.GetAllStoresRequest{Header: h, ExcludeTombstoneStores: true})
	})
	if err != nil {
		return err
	}
	scan, err := unary(s, func(ctx context.Context, c pdpb.PDClient, h *pdpb.RequestHeader) (*pdpb.ScanRegionsResponse, error) {
		return c.ScanRegions(ctx, &pdpb.ScanRegionsRequest{Header: h, Limit: 1 << 20})
	})
	if err != nil {
		return err
	}
	var stores []*store
	for _, m := range all.GetStores() {
		st := s.newStore(m.GetId())
		st.addr = m.GetAddress()
		// A restarted TiKV announces itself again (new start time).
		if err := s.putStore(st); err != nil {
			return err
		}
		stores = append(stores, st)
	}
	s.mu.Lock()
	for _, st := range stores {
		s.stores[st.id] = st
	}
	for i, meta := range scan.GetRegionMetas() {
		r := &region{meta: meta, term: 1, dirty: true}
		if i < len(scan.GetLeaders()) && scan.GetLeaders()[i] != nil {
			r.leader = scan.GetLeaders()[i].GetId()
		}
		if r.leader == 0 && len(meta.Peers) > 0 {
			r.leader = meta.Peers[0].Id
		}
		s.regions[meta.Id] = r
	}
	s.mu.Unlock()
	for _, st := range stores {
		s.startLoops(st)
	}
	log.Printf("adopted %d stores and %d regions of the running cluster", len(stores), len(scan.GetRegionMetas()))
	return nil
}

// --- store loops ---------------------------------------------------------------------

func (s *sim) startLoops(st *store) {
	s.mu.Lock()
	st.gen++
	gen := st.gen
	s.mu.Unlock()
	go s.storeLoop(st, gen)
}

// alive reports whether the loop of generation gen should keep running.
func (s *sim) alive(st *store, gen int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return st.gen == gen && !st.stopped && !st.tombstone
}

// storeLoop plays one TiKV: store heartbeats on a timer, and a region
// heartbeat stream for the regions it leads.
func (s *sim) storeLoop(st *store, gen int) {
	storeTick := time.NewTicker(*flagStoreHB)
	regionTick := time.NewTicker(*flagRegionHB)
	defer storeTick.Stop()
	defer regionTick.Stop()
	var stream pdpb.PD_RegionHeartbeatClient
	var streamURL string
	var cancel context.CancelFunc
	streamErr := make(chan error, 1)
	closeStream := func() {
		if cancel != nil {
			cancel()
		}
		stream, cancel = nil, nil
	}
	defer closeStream()
	s.storeHeartbeat(st)
	full := true
	for s.alive(st, gen) {
		if stream == nil {
			cli, url, err := s.pd.client(s.ctx)
			if err == nil {
				var ctx context.Context
				ctx, cancel = context.WithCancel(s.ctx)
				stream, err = cli.RegionHeartbeat(ctx)
				if err != nil {
					cancel()
					stream, cancel = nil, nil
					s.pd.failed(url)
				} else {
					streamURL = url
					full = true
					go s.receive(st, stream, streamErr)
				}
			}
		}
		if stream != nil {
			if err := s.sendRegionHeartbeats(st, stream, full); err != nil {
				log.Printf("store %d: region heartbeat: %v", st.id, err)
				closeStream()
				s.pd.failed(streamURL)
			}
			full = false
		}
		select {
		case <-storeTick.C:
			s.storeHeartbeat(st)
			// A leader change in PD ends our stream only when PD notices;
			// follow it at once instead.
			if stream != nil && s.pd.currentLeader() != streamURL {
				closeStream()
			}
		case <-regionTick.C:
			full = true
		case <-st.kick:
		case err := <-streamErr:
			if stream != nil {
				log.Printf("store %d: region heartbeat stream: %v", st.id, err)
				closeStream()
				s.pd.failed(streamURL)
			}
		case <-time.After(time.Second):
			// Retry a stream that could not be opened.
		}
	}
}

func (s *sim) receive(st *store, stream pdpb.PD_RegionHeartbeatClient, errc chan<- error) {
	for {
		resp, err := stream.Recv()
		if err != nil {
			select {
			case errc <- err:
			default:
			}
			return
		}
		s.handle(st, resp)
	}
}

func (s *sim) storeHeartbeat(st *store) {
	s.mu.Lock()
	if st.stopped || st.tombstone {
		s.mu.Unlock()
		return
	}
	var count, leaders uint32
	for _, r := range s.regions {
		for _, p := range r.meta.Peers {
			if p.StoreId == st.id {
				count++
				if p.Id == r.leader {
					leaders++
				}
			}
		}
	}
	s.mu.Unlock()
	capacity := *flagCapGiB << 30
	used := uint64(count) * *flagRegionMiB * mib
	if used > capacity {
		used = capacity
	}
	now := uint64(time.Now().Unix())
	resp, err := unary(s, func(ctx context.Context, c pdpb.PDClient, h *pdpb.RequestHeader) (*pdpb.StoreHeartbeatResponse, error) {
		return c.StoreHeartbeat(ctx, &pdpb.StoreHeartbeatRequest{Header: h, Stats: &pdpb.StoreStats{
			StoreId: st.id, Capacity: capacity, Available: capacity - used, UsedSize: used,
			RegionCount: count, StartTime: uint32(st.started.Unix()),
			Interval: &pdpb.TimeInterval{StartTimestamp: now - uint64(flagStoreHB.Seconds()), EndTimestamp: now},
		}})
	})
	if err != nil {
		if resp != nil && resp.GetHeader().GetError().GetType() == pdpb.ErrorType_STORE_TOMBSTONE {
			s.mu.Lock()
			st.tombstone = true
			s.mu.Unlock()
			log.Printf("store %d is tombstone; it stops for good", st.id)
			return
		}
		log.Printf("store %d: store heartbeat: %v", st.id, err)
	}
}

// sendRegionHeartbeats reports the regions this store leads: all of them when
// full, else only those that changed.
func (s *sim) sendRegionHeartbeats(st *store, stream pdpb.PD_RegionHeartbeatClient, full bool) error {
	now := time.Now()
	var reqs []*pdpb.RegionHeartbeatRequest
	s.mu.Lock()
	for _, r := range s.regions {
		leader := peerByID(r.meta, r.leader)
		if leader == nil || leader.StoreId != st.id || !(full || r.dirty) {
			continue
		}
		r.dirty = false
		req := &pdpb.RegionHeartbeatRequest{
			Header:          s.pd.header(),
			Region:          cloneRegion(r.meta),
			Leader:          clonePeer(leader),
			ApproximateSize: *flagRegionMiB * mib,
			ApproximateKeys: *flagRegionMiB * 10000,
			Term:            r.term,
			Interval:        &pdpb.TimeInterval{StartTimestamp: uint64(now.Add(-*flagRegionHB).Unix()), EndTimestamp: uint64(now.Unix())},
		}
		for _, p := range r.meta.Peers {
			if o := s.stores[p.StoreId]; o == nil || o.stopped || o.tombstone {
				down := uint64(0)
				if o != nil && o.stopped {
					down = uint64(now.Sub(o.stoppedAt).Seconds())
				}
				req.DownPeers = append(req.DownPeers, &pdpb.PeerStats{Peer: clonePeer(p), DownSeconds: down})
			}
		}
		reqs = append(reqs, req)
	}
	s.mu.Unlock()
	for _, req := range reqs {
		if err := stream.Send(req); err != nil {
			s.markDirty(req.Region.Id)
			return err
		}
	}
	return nil
}

func (s *sim) markDirty(id uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.regions[id]; r != nil {
		r.dirty = true
	}
}

// kickLeaderOf wakes the store leading a region so it reports the change now.
// Called with s.mu held.
func (s *sim) kickLeaderOf(r *region) {
	r.dirty = true
	if p := peerByID(r.meta, r.leader); p != nil {
		if st := s.stores[p.StoreId]; st != nil {
			select {
			case st.kick <- struct{}{}:
			default:
			}
		}
	}
}

// --- operators ------------------------------------------------------------------------

func (s *sim) handle(st *store, resp *pdpb.RegionHeartbeatResponse) {
	if resp.GetRegionId() == 0 {
		return
	}
	// Applying takes a moment in TiKV too; it also keeps transitions such as
	// Offline visible long enough to be observed.
	time.AfterFunc(*flagApply, func() { s.apply(st, resp) })
}

func (s *sim) apply(st *store, resp *pdpb.RegionHeartbeatResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.regions[resp.GetRegionId()]
	if r == nil || st.stopped || st.tombstone {
		return
	}
	leader := peerByID(r.meta, r.leader)
	if leader == nil || leader.StoreId != st.id {
		return // no longer the leader: TiKV would answer NotLeader
	}
	if e := resp.GetRegionEpoch(); e != nil && (e.ConfVer != r.meta.RegionEpoch.ConfVer || e.Version != r.meta.RegionEpoch.Version) {
		return // stale command (EpochNotMatch)
	}
	switch {
	case resp.GetChangePeer() != nil:
		if s.changePeer(r, resp.GetChangePeer()) {
			r.meta.RegionEpoch.ConfVer++
		}
	case resp.GetChangePeerV2() != nil:
		s.changePeerV2(r, resp.GetChangePeerV2().GetChanges())
	case resp.GetTransferLeader() != nil:
		targets := resp.GetTransferLeader().GetPeers()
		if p := resp.GetTransferLeader().GetPeer(); p != nil {
			targets = append([]*metapb.Peer{p}, targets...)
		}
		for _, t := range targets {
			p := peerByID(r.meta, t.GetId())
			if p != nil && isVoter(p) && s.storeUp(p.StoreId) {
				r.leader = p.Id
				r.term++
				break
			}
		}
	default:
		// Split, merge and witness commands are not simulated: merges are
		// switched off in the PD config, and nothing here asks for splits.
		return
	}
	s.kickLeaderOf(r)
}

// changePeer applies a simple (non-joint) conf change; true if it changed.
func (s *sim) changePeer(r *region, cp *pdpb.ChangePeer) bool {
	p := cp.GetPeer()
	if p == nil {
		return false
	}
	cur := peerByID(r.meta, p.Id)
	switch cp.GetChangeType() {
	case eraftpb.ConfChangeType_AddNode:
		if cur == nil {
			if peerOnStore(r.meta, p.StoreId) != nil {
				return false
			}
			r.meta.Peers = append(r.meta.Peers, &metapb.Peer{Id: p.Id, StoreId: p.StoreId, Role: metapb.PeerRole_Voter})
			return true
		}
		if cur.Role == metapb.PeerRole_Voter {
			return false
		}
		cur.Role = metapb.PeerRole_Voter
		return true
	case eraftpb.ConfChangeType_AddLearnerNode:
		if cur == nil {
			if peerOnStore(r.meta, p.StoreId) != nil {
				return false
			}
			r.meta.Peers = append(r.meta.Peers, &metapb.Peer{Id: p.Id, StoreId: p.StoreId, Role: metapb.PeerRole_Learner})
			return true
		}
		if cur.Role == metapb.PeerRole_Learner {
			return false
		}
		cur.Role = metapb.PeerRole_Learner
		return true
	case eraftpb.ConfChangeType_RemoveNode:
		if cur == nil || cur.Id == r.leader {
			return false // TiKV refuses to remove the leader itself
		}
		out := r.meta.Peers[:0]
		for _, q := range r.meta.Peers {
			if q.Id != cur.Id {
				out = append(out, q)
			}
		}
		r.meta.Peers = out
		return true
	}
	return false
}

// changePeerV2: a single change applies directly; several enter a joint
// state (promoted learners become IncomingVoter, demoted voters
// DemotingVoter); an empty list leaves it. That is what PD's
// ChangePeerV2Enter/Leave steps wait for.
func (s *sim) changePeerV2(r *region, changes []*pdpb.ChangePeer) {
	switch len(changes) {
	case 0:
		changed := false
		for _, p := range r.meta.Peers {
			switch p.Role {
			case metapb.PeerRole_IncomingVoter:
				p.Role, changed = metapb.PeerRole_Voter, true
			case metapb.PeerRole_DemotingVoter:
				p.Role, changed = metapb.PeerRole_Learner, true
			}
		}
		if changed {
			r.meta.RegionEpoch.ConfVer++
		}
	case 1:
		if s.changePeer(r, changes[0]) {
			r.meta.RegionEpoch.ConfVer++
		}
	default:
		for _, cp := range changes {
			p := cp.GetPeer()
			cur := peerByID(r.meta, p.GetId())
			switch {
			case cp.GetChangeType() == eraftpb.ConfChangeType_AddNode && cur != nil && cur.Role == metapb.PeerRole_Learner:
				cur.Role = metapb.PeerRole_IncomingVoter
			case cp.GetChangeType() == eraftpb.ConfChangeType_AddLearnerNode && cur != nil && cur.Role == metapb.PeerRole_Voter:
				cur.Role = metapb.PeerRole_DemotingVoter
			default:
				s.changePeer(r, cp)
			}
		}
		r.meta.RegionEpoch.ConfVer += uint64(len(changes))
	}
}

// --- elections --------------------------------------------------------------------------

// electionLoop moves the leadership of regions whose leader's store stopped
// to another voter once the election timeout has passed, if a majority of
// voters is up; otherwise the region stays leaderless (no heartbeats), as a
// raft group without quorum would.
func (s *sim) electionLoop() {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for range t.C {
		s.mu.Lock()
		now := time.Now()
		for _, r := range s.regions {
			leader := peerByID(r.meta, r.leader)
			var since time.Time
			if leader != nil {
				st := s.stores[leader.StoreId]
				if st != nil && !st.stopped && !st.tombstone {
					continue
				}
				if st != nil && st.stopped {
					since = st.stoppedAt
				}
			}
			if now.Sub(since) < *flagElection {
				continue
			}
			voters, up := 0, []*metapb.Peer{}
			for _, p := range r.meta.Peers {
				if isVoter(p) {
					voters++
					if s.storeUp(p.StoreId) {
						up = append(up, p)
					}
				}
			}
			if len(up)*2 <= voters {
				continue
			}
			sort.Slice(up, func(i, j int) bool { return up[i].StoreId < up[j].StoreId })
			// Spread new leaders: pick by region id.
			r.leader = up[int(r.meta.Id)%len(up)].Id
			r.term++
			s.kickLeaderOf(r)
		}
		s.mu.Unlock()
	}
}

// --- control API ------------------------------------------------------------------------

type storeStatus struct {
	ID        uint64 `json:"id"`
	Address   string `json:"address"`
	State     string `json:"state"`
	Regions   int    `json:"regions"`
	Leaders   int    `json:"leaders"`
	StoppedAt string `json:"stopped_at,omitempty"`
}

func (s *sim) status() map[string]interface{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storeStatus
	for _, st := range s.stores {
		ss := storeStatus{ID: st.id, Address: st.addr, State: "running"}
		switch {
		case st.tombstone:
			ss.State = "tombstone"
		case st.stopped:
			ss.State = "stopped"
			ss.StoppedAt = st.stoppedAt.UTC().Format(time.RFC3339)
		}
		for _, r := range s.regions {
			if p := peerOnStore(r.meta, st.id); p != nil {
				ss.Regions++
				if p.Id == r.leader {
					ss.Leaders++
				}
			}
		}
		out = append(out, ss)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	leaderless := 0
	for _, r := range s.regions {
		if p := peerByID(r.meta, r.leader); p == nil || !s.storeUp(p.StoreId) {
			leaderless++
		}
	}
	return map[string]interface{}{"stores": out, "regions": len(s.regions),
		"leaderless_regions": leaderless, "pd_leader": s.pd.currentLeader()}
}

func (s *sim) api(ready <-chan struct{}) http.Handler {
	mux := http.NewServeMux()
	isReady := func() bool {
		select {
		case <-ready:
			return true
		default:
			return false
		}
	}
	reply := func(w http.ResponseWriter, code int, v interface{}) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !isReady() {
			reply(w, http.StatusServiceUnavailable, map[string]string{"status": "starting"})
			return
		}
		reply(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("/status", func(w http.ResponseWriter, _ *http.Request) {
		if !isReady() {
			reply(w, http.StatusServiceUnavailable, map[string]string{"status": "starting"})
			return
		}
		reply(w, http.StatusOK, s.status())
	})
	// POST /stores: a new, empty store (scale-out); it gets regions from PD's
	// balance schedulers.
	mux.HandleFunc("/stores", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !isReady() {
			reply(w, http.StatusMethodNotAllowed, map[string]string{"error": "POST, once ready"})
			return
		}
		id, err := s.allocID()
		if err == nil {
			st := s.newStore(id)
			if err = s.putStore(st); err == nil {
				s.mu.Lock()
				s.stores[id] = st
				s.mu.Unlock()
				s.startLoops(st)
				log.Printf("added store %d", id)
				reply(w, http.StatusOK, map[string]uint64{"id": id})
				return
			}
		}
		reply(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
	})
	// POST /stores/{id}/stop | /stores/{id}/start
	mux.HandleFunc("/stores/", func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/stores/"), "/"), "/")
		if r.Method != http.MethodPost || len(parts) != 2 || !isReady() {
			reply(w, http.StatusNotFound, map[string]string{"error": "POST /stores/{id}/stop|start"})
			return
		}
		id, err := strconv.ParseUint(parts[0], 10, 64)
		s.mu.Lock()
		st := s.stores[id]
		if err != nil || st == nil {
			s.mu.Unlock()
			reply(w, http.StatusNotFound, map[string]string{"error": "no such store"})
			return
		}
		if st.tombstone {
			s.mu.Unlock()
			reply(w, http.StatusConflict, map[string]string{"error": "store is tombstone"})
			return
		}
		switch parts[1] {
		case "stop":
			if !st.stopped {
				st.stopped, st.stoppedAt = true, time.Now()
				st.gen++
				log.Printf("store %d stopped", id)
			}
			s.mu.Unlock()
		case "start":
			wasStopped := st.stopped
			st.stopped = false
			st.started = time.Now()
			// Regions that lost their down peer report it up again now.
			for _, rg := range s.regions {
				if peerOnStore(rg.meta, id) != nil {
					s.kickLeaderOf(rg)
				}
			}
			s.mu.Unlock()
			if wasStopped {
				// A restarted TiKV registers again before heartbeating.
				if err := s.putStore(st); err != nil {
					log.Printf("store %d: %v", id, err)
				}
				s.startLoops(st)
				log.Printf("store %d started", id)
			}
		default:
			s.mu.Unlock()
			reply(w, http.StatusNotFound, map[string]string{"error": "stop or start"})
			return
		}
		reply(w, http.StatusOK, map[string]interface{}{"id": id, "action": parts[1]})
	})
	return mux
}

// --- helpers --------------------------------------------------------------------------------

// storeUp: known, not stopped, not tombstone. Called with s.mu held.
func (s *sim) storeUp(id uint64) bool {
	st := s.stores[id]
	return st != nil && !st.stopped && !st.tombstone
}

func isVoter(p *metapb.Peer) bool {
	return p.Role == metapb.PeerRole_Voter || p.Role == metapb.PeerRole_IncomingVoter || p.Role == metapb.PeerRole_DemotingVoter
}

func peerByID(m *metapb.Region, id uint64) *metapb.Peer {
	for _, p := range m.Peers {
		if p.Id == id {
			return p
		}
	}
	return nil
}

func peerOnStore(m *metapb.Region, storeID uint64) *metapb.Peer {
	for _, p := range m.Peers {
		if p.StoreId == storeID {
			return p
		}
	}
	return nil
}

func clonePeer(p *metapb.Peer) *metapb.Peer {
	return &metapb.Peer{Id: p.Id, StoreId: p.StoreId, Role: p.Role, IsWitness: p.IsWitness}
}

func cloneRegion(m *metapb.Region) *metapb.Region {
	out := &metapb.Region{Id: m.Id, StartKey: m.StartKey, EndKey: m.EndKey,
		RegionEpoch: &metapb.RegionEpoch{ConfVer: m.RegionEpoch.GetConfVer(), Version: m.RegionEpoch.GetVersion()}}
	for _, p := range m.Peers {
		out.Peers = append(out.Peers, clonePeer(p))
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
