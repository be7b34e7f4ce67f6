package zerologsink_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/zerologsink"
)

// levelTopic routes each entry to a topic named after its level.
func levelTopic(e core.Entry) string {
	if e.Level == core.NoLevel {
		return "level-none"
	}
	return "level-" + e.Level.String()
}

// TestLevelRouting logs at every level through zerolog.MultiLevelWriter,
// next to a buffer, and checks that each topic received, in order, exactly
// the buffer's lines at its level: zerolog's JSON unchanged, less its
// newline.
func TestLevelRouting(t *testing.T) {
	old := zerolog.GlobalLevel()
	zerolog.SetGlobalLevel(zerolog.TraceLevel)
	t.Cleanup(func() { zerolog.SetGlobalLevel(old) })

	c := startCluster(t)
	levels := []string{"trace", "debug", "info", "warn", "error", "fatal", "panic", "none"}
	for _, l := range levels {
		c.CreateTopic(t, "level-"+l, 1)
	}
	cfg := config(t, c)
	cfg.TopicDecider = levelTopic
	w := newWriter(t, cfg)

	byLevel := map[string]*bytes.Buffer{}
	for _, l := range levels {
		byLevel[l] = new(bytes.Buffer)
	}
	// Each entry also goes to the buffer of its level, for comparison.
	mirror := levelMirror(byLevel)
	log := zerolog.New(zerolog.MultiLevelWriter(w, mirror)).With().Str("svc", "api").Logger()

	for i := range 3 {
		log.Trace().Int("i", i).Msg("t")
		log.Debug().Int("i", i).Msg("d")
		log.Info().Int("i", i).Str("quote", `"\`).Msg("i")
		log.Warn().Int("i", i).Msg("w")
		log.Error().Int("i", i).Err(errors.New("boom")).Msg("e")
		log.WithLevel(zerolog.FatalLevel).Int("i", i).Msg("f") // WithLevel neither exits nor closes
		log.WithLevel(zerolog.PanicLevel).Int("i", i).Msg("p") // nor panics
		log.Log().Int("i", i).Msg("no level")
	}
	flush(t, w)

	for _, l := range levels {
		want := testutil.Lines(byLevel[l].String())
		if len(want) != 3 {
			t.Fatalf("level %s: the mirror got %d entries, want 3", l, len(want))
		}
		recs := c.ReadN(t, "level-"+l, len(want), readTimeout)
		equalStrings(t, "topic level-"+l, kafkatest.Values(recs), want)
	}
	if st := w.Sink().Stats(); st.Delivered != 24 || st.Dropped.Total() != 0 {
		t.Errorf("Stats: got Delivered %d, Dropped %+v; want 24 and none", st.Delivered, st.Dropped)
	}
}

// levelMirror is a zerolog.LevelWriter that appends each entry to the
// buffer of its level name ("none" for NoLevel).
type levelMirror map[string]*bytes.Buffer

func (m levelMirror) Write(p []byte) (int, error) { return m.WriteLevel(zerolog.NoLevel, p) }

func (m levelMirror) WriteLevel(l zerolog.Level, p []byte) (int, error) {
	name := l.String()
	if l == zerolog.NoLevel {
		name = "none"
	}
	return m[name].Write(p)
}

// TestFieldRouting checks that a TopicDecider reads top-level fields with
// core.Entry.Field, as it does for zap: one decider for both loggers.
func TestFieldRouting(t *testing.T) {
	c := startCluster(t)
	cfg := config(t, c)
	cfg.TopicDecider = func(e core.Entry) string {
		if e.Level >= core.ErrorLevel {
			return "errors"
		}
		if s := e.Field("service"); s != "" {
			return "svc-" + s
		}
		return ""
	}
	w := newWriter(t, cfg)
	log := zerolog.New(w)

	log.Info().Str("service", "billing").Msg("a")
	log.Info().Str("service", "auth").Msg("b")
	log.Error().Str("service", "auth").Msg("c")
	log.Info().Msg("d")
	log.Info().Dict("nested", zerolog.Dict().Str("service", "no")).Msg("e") // not top-level
	log.Log().Str("service", "auth").Msg("f")                               // NoLevel is not an error
	flush(t, w)

	for _, tt := range []struct {
		topic string
		want  []string
	}{
		{"svc-billing", []string{"a"}},
		{"svc-auth", []string{"b", "f"}},
		{"errors", []string{"c"}},
		{kafkatest.DefaultTopic, []string{"d", "e"}},
	} {
		recs := c.ReadN(t, tt.topic, len(tt.want), readTimeout)
		var got []string
		for _, r := range recs {
			got = append(got, core.Entry{JSON: r.Value}.Field(zerolog.MessageFieldName))
		}
		// The topic may have several partitions: compare as sets.
		if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(tt.want)) {
			t.Errorf("topic %s: got messages %q, want %q", tt.topic, got, tt.want)
		}
	}
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// TestBufferReuse writes from many goroutines, each reusing one buffer and
// scribbling over it as soon as Write returns, as zerolog does with its
// pooled buffers. A Writer that kept p instead of copying it would deliver
// scribbles.
func TestBufferReuse(t *testing.T) {
	c := startCluster(t)
	c.CreateTopic(t, "reuse", 1)
	cfg := config(t, c)
	cfg.Topic = "reuse"
	cfg.BatchSizeLimit = 64 // let batches go while writers still write
	cfg.DelayFirstEntry = false
	cfg.Period = 5 * time.Millisecond
	w := newWriter(t, cfg)

	const goroutines, perG = 8, 250
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, 256)
			for i := range perG {
				buf = fmt.Appendf(buf[:0], `{"level":"info","g":%d,"i":%d,"pad":"%s"}`+"\n", g, i, strings.Repeat("x", i%50))
				var n int
				var err error
				if i%2 == 0 {
					n, err = w.WriteLevel(zerolog.InfoLevel, buf)
				} else {
					n, err = w.Write(buf)
				}
				if n != len(buf) || err != nil {
					t.Errorf("Write: got %d, %v; want %d, nil", n, err, len(buf))
				}
				for j := range buf {
					buf[j] = '#'
				}
			}
		}()
	}
	wg.Wait()
	flush(t, w)

	recs := c.ReadN(t, "reuse", goroutines*perG, readTimeout)
	if len(recs) != goroutines*perG {
		t.Fatalf("got %d records, want %d", len(recs), goroutines*perG)
	}
	next := make([]int, goroutines) // per goroutine, the next i expected
	for _, r := range recs {
		e := core.Entry{JSON: r.Value}
		g, err1 := strconv.Atoi(e.Field("g"))
		i, err2 := strconv.Atoi(e.Field("i"))
		if err1 != nil || err2 != nil || g < 0 || g >= goroutines {
			t.Fatalf("corrupted record %s", r)
		}
		want := fmt.Sprintf(`{"level":"info","g":%d,"i":%d,"pad":"%s"}`, g, i, strings.Repeat("x", i%50))
		if string(r.Value) != want {
			t.Fatalf("got %q, want %q", r.Value, want)
		}
		if i != next[g] {
			t.Fatalf("goroutine %d: got entry %d, want %d (order per writer must hold)", g, i, next[g])
		}
		next[g]++
	}
}

// TestZerologConcurrent logs from many goroutines through one zerolog
// Logger (which pools and reuses its buffers) and checks that every entry
// arrived once, intact.
func TestZerologConcurrent(t *testing.T) {
	c := startCluster(t)
	cfg := config(t, c)
	cfg.BatchSizeLimit = 100
	cfg.Period = 5 * time.Millisecond
	w := newWriter(t, cfg)
	log := zerolog.New(w).With().Str("app", "test").Logger()

	const goroutines, perG = 8, 300
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perG {
				log.Info().Int("g", g).Int("i", i).Str("s", strings.Repeat("y", (g*7+i)%40)).Msg("hello")
			}
		}()
	}
	wg.Wait()
	flush(t, w)

	recs := c.ReadN(t, kafkatest.DefaultTopic, goroutines*perG, readTimeout)
	seen := make(map[string]bool, len(recs))
	for _, r := range recs {
		e := core.Entry{JSON: r.Value}
		g, _ := strconv.Atoi(e.Field("g"))
		i, _ := strconv.Atoi(e.Field("i"))
		want := fmt.Sprintf(`{"level":"info","app":"test","g":%d,"i":%d,"s":"%s","message":"hello"}`, g, i, strings.Repeat("y", (g*7+i)%40))
		if string(r.Value) != want {
			t.Fatalf("got %q, want %q", r.Value, want)
		}
		if seen[want] {
			t.Fatalf("duplicate %q", want)
		}
		seen[want] = true
	}
	if len(seen) != goroutines*perG {
		t.Fatalf("got %d distinct entries, want %d", len(seen), goroutines*perG)
	}
}

// TestNoLevel checks that entries without a level (Logger.Log, the stdlib
// log bridge, plain Write of JSON without a level field) get core.NoLevel,
// and so never match "Level >= ErrorLevel".
func TestNoLevel(t *testing.T) {
	c := startCluster(t)
	c.CreateTopic(t, "level-none", 1)
	var (
		mu  sync.Mutex
		got []core.Level
	)
	cfg := config(t, c)
	cfg.TopicDecider = func(e core.Entry) string {
		mu.Lock()
		got = append(got, e.Level)
		mu.Unlock()
		if e.Level >= core.ErrorLevel {
			return "level-error"
		}
		return levelTopic(e)
	}
	w := newWriter(t, cfg)
	log := zerolog.New(w)

	log.Log().Msg("log")
	stdlog.New(log, "", 0).Print("stdlib") // zerolog.Logger is an io.Writer at NoLevel
	w.Write([]byte(`{"message":"plain write"}` + "\n"))
	w.WriteLevel(zerolog.Level(42), []byte(`{"message":"custom level"}`+"\n"))
	flush(t, w)

	recs := c.ReadN(t, "level-none", 4, readTimeout)
	var msgs []string
	for _, r := range recs {
		msgs = append(msgs, core.Entry{JSON: r.Value}.Field("message"))
	}
	equalStrings(t, "topic level-none", msgs, []string{"log", "stdlib", "plain write", "custom level"})
	mu.Lock()
	defer mu.Unlock()
	for i, l := range got {
		if l != core.NoLevel {
			t.Errorf("entry %d: got level %v, want NoLevel", i, l)
		}
	}
}

// TestMalformed writes input that is not a JSON object between valid
// entries. The rule: every non-empty write is delivered as it is (less one
// trailing newline), as one record, with NoLevel; an empty write is
// ignored; nothing panics, and neighbours arrive intact and in order.
func TestMalformed(t *testing.T) {
	c := startCluster(t)
	c.CreateTopic(t, "mixed", 1)
	cfg := config(t, c)
	cfg.Topic = "mixed"
	var levels []core.Level
	cfg.TopicDecider = func(e core.Entry) string { levels = append(levels, e.Level); return "" }
	w := newWriter(t, cfg)

	inputs := []struct {
		in, want string
	}{
		{`{"level":"info","n":1}` + "\n", `{"level":"info","n":1}`},
		{"plain text\n", "plain text"},
		{`{"level":"error","message":"unterminated` + "\n", `{"level":"error","message":"unterminated`},
		{"\xff\xfe invalid utf-8 \x00", "\xff\xfe invalid utf-8 \x00"},
		{"", ""}, // ignored
		{"\n", ""},
		{"two\nlines\n", "two\nlines"},
		{"crlf\r\n", "crlf"},
		{"[1,2,3]", "[1,2,3]"},
		{`{"level":"info","n":2}` + "\n\n", `{"level":"info","n":2}` + "\n"},
	}
	var want []string
	for _, in := range inputs {
		n, err := w.Write([]byte(in.in))
		if n != len(in.in) || err != nil {
			t.Errorf("Write(%q): got %d, %v; want %d, nil", in.in, n, err, len(in.in))
		}
		if in.in != "" {
			want = append(want, in.want)
		}
	}
	flush(t, w)
	recs := c.ReadN(t, "mixed", len(want), readTimeout)
	equalStrings(t, "topic mixed", kafkatest.Values(recs), want)

	// Only entries that start as a JSON object with a level field have a
	// level: the truncated one too, since its level comes before the break.
	wantLevels := []core.Level{core.InfoLevel, 0, core.ErrorLevel, 0, 0, 0, 0, 0, core.InfoLevel}
	if fmt.Sprint(levels) != fmt.Sprint(wantLevels) {
		t.Errorf("levels: got %v, want %v", levels, wantLevels)
	}
	if st := w.Sink().Stats(); st.Received != uint64(len(want)) {
		t.Errorf("Stats.Received: got %d, want %d (an empty write is not an entry)", st.Received, len(want))
	}
}

// TestHugeEntries checks that an entry up to MaxEntryBytes is delivered
// whole, and a larger one is dropped alone: counted, written to Fallback,
// reported to the sink's ErrorHandler, and not to zerolog.
func TestHugeEntries(t *testing.T) {
	zerologErrs := captureZerologErrors(t)
	c := startCluster(t)
	c.CreateTopic(t, "huge", 1)
	cfg := config(t, c)
	cfg.Topic = "huge"
	cfg.MaxEntryBytes = 600 << 10
	fallback := new(testutil.LockedBuffer)
	cfg.Fallback = fallback
	var sinkErrs []error
	var mu sync.Mutex
	cfg.ErrorHandler = func(err error) { mu.Lock(); sinkErrs = append(sinkErrs, err); mu.Unlock() }
	w := newWriter(t, cfg)
	log := zerolog.New(w)

	big := strings.Repeat("b", 500<<10)
	tooBig := strings.Repeat("t", 700<<10)
	log.Info().Msg("before")
	log.Info().Str("big", big).Msg("big")
	log.Info().Str("big", tooBig).Msg("too big")
	log.Info().Msg("after")
	flush(t, w)

	recs := c.ReadN(t, "huge", 3, readTimeout)
	want := []string{
		`{"level":"info","message":"before"}`,
		`{"level":"info","big":"` + big + `","message":"big"}`,
		`{"level":"info","message":"after"}`,
	}
	equalStrings(t, "topic huge", kafkatest.Values(recs), want)
	st := w.Sink().Stats()
	if st.Dropped.TooLarge != 1 || st.Delivered != 3 {
		t.Errorf("Stats: got Dropped.TooLarge %d, Delivered %d; want 1, 3", st.Dropped.TooLarge, st.Delivered)
	}
	// The sink's own goroutine reports the drop and writes the Fallback,
	// after the log call.
	testutil.WaitFor(t, readTimeout, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(fallback.String(), `"message":"too big"`) && len(sinkErrs) > 0
	}, func() string {
		return fmt.Sprintf("the dropped entry in the Fallback and reported: Fallback has %d bytes, %d errors reported", len(fallback.String()), len(sinkErrs))
	})
	mu.Lock()
	var de *core.DropError
	if len(sinkErrs) != 1 || !errors.As(sinkErrs[0], &de) || de.Reason != core.ReasonTooLarge {
		t.Errorf("sink errors: got %v, want one DropError for too large", sinkErrs)
	}
	mu.Unlock()
	if errs := zerologErrs(); len(errs) != 0 {
		t.Errorf("zerolog write errors: got %v, want none", errs)
	}
}

// TestQueueFull checks that entries the sink drops for a full queue are
// counted, while zerolog sees a successful write and prints nothing.
func TestQueueFull(t *testing.T) {
	zerologErrs := captureZerologErrors(t)
	cfg := core.Config{
		Brokers:         []string{testutil.Unreachable(t)},
		Period:          time.Hour,
		DelayFirstEntry: true,
		QueueLimit:      10,
		BatchSizeLimit:  5, // below QueueLimit, as New requires
		ShedThreshold:   1, // no shedding of Info entries before the queue is full
		ErrorHandler:    func(error) {},
	}
	w, err := zerologsink.New(zerologsink.Config{Sink: cfg})
	if err != nil {
		t.Fatal(err)
	}
	log := zerolog.New(w)
	for i := range 15 {
		log.Info().Int("i", i).Msg("m")
	}
	if st := w.Sink().Stats(); st.Accepted != 10 || st.Dropped.QueueFull != 5 {
		t.Errorf("Stats: got Accepted %d, Dropped.QueueFull %d; want 10, 5", st.Accepted, st.Dropped.QueueFull)
	}
	if errs := zerologErrs(); len(errs) != 0 {
		t.Errorf("zerolog write errors: got %v, want none", errs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // nothing can be delivered: close at once
	if err := w.Sink().Close(ctx); err == nil {
		t.Error("Close with an unreachable broker: got nil, want an error")
	}
}

// TestLifecycle covers Close and what comes after it.
func TestLifecycle(t *testing.T) {
	c := startCluster(t)

	t.Run("close twice", func(t *testing.T) {
		w := newWriter(t, config(t, c))
		log := zerolog.New(w)
		log.Info().Msg("m")
		if err := w.Close(); err != nil {
			t.Fatalf("first Close: got %v, want nil", err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("second Close: got %v, want nil", err)
		}
		if st := w.Sink().Stats(); st.Delivered != 1 {
			t.Errorf("Stats.Delivered: got %d, want 1 (Close flushes)", st.Delivered)
		}
	})

	t.Run("write after close", func(t *testing.T) {
		zerologErrs := captureZerologErrors(t)
		w := newWriter(t, config(t, c))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		p := []byte(`{"level":"info"}` + "\n")
		if n, err := w.Write(p); n != len(p) || err != nil {
			t.Errorf("Write after Close: got %d, %v; want %d, nil", n, err, len(p))
		}
		log := zerolog.New(w)
		log.Error().Msg("late")
		if st := w.Sink().Stats(); st.Dropped.Closed != 2 {
			t.Errorf("Stats.Dropped.Closed: got %d, want 2", st.Dropped.Closed)
		}
		if errs := zerologErrs(); len(errs) != 0 {
			t.Errorf("zerolog write errors: got %v, want none", errs)
		}
		if err := w.Flush(context.Background()); !errors.Is(err, core.ErrClosed) {
			t.Errorf("Flush after Close: got %v, want ErrClosed", err)
		}
	})

	t.Run("close timeout", func(t *testing.T) {
		w, err := zerologsink.New(zerologsink.Config{Sink: core.Config{
			Brokers:      []string{testutil.Unreachable(t)},
			SyncTimeout:  50 * time.Millisecond,
			ErrorHandler: func(error) {},
			Fallback:     io.Discard,
		}})
		if err != nil {
			t.Fatal(err)
		}
		s := w.Sink()
		log := zerolog.New(w)
		log.Info().Msg("never delivered")
		err = w.Close()
		var ue *core.UndeliveredError
		if !errors.As(err, &ue) || ue.Count != 1 || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Close: got %v, want UndeliveredError{Count: 1, Err: DeadlineExceeded}", err)
		}
		if st := s.Stats(); st.Dropped.Closed != 1 {
			t.Errorf("Stats.Dropped.Closed: got %d, want 1", st.Dropped.Closed)
		}
	})
}

// TestFatal checks that Logger.Fatal delivers its entry, and those before
// it, by closing the Writer before it exits, directly and through
// zerolog's wrappers.
func TestFatal(t *testing.T) {
	c := startCluster(t)
	exits := 0
	old := zerolog.FatalExitFunc
	zerolog.FatalExitFunc = func() { exits++ }
	t.Cleanup(func() { zerolog.FatalExitFunc = old })

	for _, tt := range []struct {
		name string
		wrap func(w *zerologsink.Writer) io.Writer
	}{
		{"direct", func(w *zerologsink.Writer) io.Writer { return w }},
		{"MultiLevelWriter", func(w *zerologsink.Writer) io.Writer {
			return zerolog.MultiLevelWriter(w, zerolog.ConsoleWriter{Out: io.Discard})
		}},
		{"SyncWriter", func(w *zerologsink.Writer) io.Writer { return zerolog.SyncWriter(w) }},
		{"FilteredLevelWriter", func(w *zerologsink.Writer) io.Writer {
			return &zerolog.FilteredLevelWriter{Writer: w, Level: zerolog.InfoLevel}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			topic := "fatal-" + tt.name
			c.CreateTopic(t, topic, 1)
			cfg := config(t, c) // delivers only on Flush and Close
			cfg.Topic = topic
			w := newWriter(t, cfg)
			log := zerolog.New(tt.wrap(w))
			log.Info().Msg("before")
			before := exits
			log.Fatal().Msg("fatal")
			if exits != before+1 {
				t.Fatalf("FatalExitFunc: got %d calls, want 1", exits-before)
			}
			if st := w.Sink().Stats(); st.Delivered != 2 || st.QueueDepth != 0 {
				t.Fatalf("after Fatal: got Delivered %d, QueueDepth %d; want 2, 0", st.Delivered, st.QueueDepth)
			}
			recs := c.ReadAll(t, topic)
			equalStrings(t, "topic "+topic, kafkatest.Values(recs), []string{
				`{"level":"info","message":"before"}`,
				`{"level":"fatal","message":"fatal"}`,
			})
		})
	}
}

// TestPanic checks that a Panic entry, and those before it, are delivered
// before zerolog panics, although zerolog does not close the Writer.
func TestPanic(t *testing.T) {
	c := startCluster(t)
	c.CreateTopic(t, "panic", 1)
	cfg := config(t, c)
	cfg.Topic = "panic"
	w := newWriter(t, cfg)
	log := zerolog.New(w)

	log.Info().Msg("before")
	func() {
		defer func() {
			if r := recover(); r != "oops" {
				t.Errorf("recover: got %v, want oops", r)
			}
			if st := w.Sink().Stats(); st.Delivered != 2 {
				t.Errorf("Stats.Delivered when zerolog panics: got %d, want 2", st.Delivered)
			}
		}()
		log.Panic().Msg("oops")
	}()
	recs := c.ReadAll(t, "panic")
	equalStrings(t, "topic panic", kafkatest.Values(recs), []string{
		`{"level":"info","message":"before"}`,
		`{"level":"panic","message":"oops"}`,
	})
	if err := w.Close(); err != nil {
		t.Errorf("Close: got %v, want nil", err)
	}
}

// TestPanicFlushFails checks that a Panic entry that cannot be delivered in
// SyncTimeout makes WriteLevel report it: zerolog prints it once.
func TestPanicFlushFails(t *testing.T) {
	zerologErrs := captureZerologErrors(t)
	w, err := zerologsink.New(zerologsink.Config{Sink: core.Config{
		Brokers:      []string{testutil.Unreachable(t)},
		SyncTimeout:  20 * time.Millisecond,
		ErrorHandler: func(error) {},
		Fallback:     io.Discard,
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	func() {
		defer func() { recover() }()
		log := zerolog.New(w)
		log.Panic().Msg("oops")
	}()
	errs := zerologErrs()
	var ue *core.UndeliveredError
	if len(errs) != 1 || !errors.As(errs[0], &ue) || !errors.Is(errs[0], context.DeadlineExceeded) {
		t.Fatalf("zerolog write errors: got %v, want one UndeliveredError with DeadlineExceeded", errs)
	}
}

func TestNewWriterNilSink(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewWriter(nil): got no panic, want one")
		}
	}()
	zerologsink.NewWriter(nil)
}

func TestNewInvalidConfig(t *testing.T) {
	w, err := zerologsink.New(zerologsink.Config{Sink: core.Config{Brokers: []string{"no port"}}})
	var ce *core.ConfigError
	if w != nil || !errors.As(err, &ce) || ce.Field != "Brokers[0]" {
		t.Fatalf("New: got %v, %v; want nil and a ConfigError for Brokers[0]", w, err)
	}
}

// TestLevelFieldName checks that plain Write reads the level from the
// field named zerolog.LevelFieldName as it is at each Write. The sink's
// queue is full, so it counts the level of each entry as it refuses it.
func TestLevelFieldName(t *testing.T) {
	s, err := core.New(core.Config{
		Brokers:         []string{testutil.Unreachable(t)},
		Period:          time.Hour,
		DelayFirstEntry: true,
		QueueLimit:      2,
		BatchSizeLimit:  1, // below QueueLimit, as New requires
		ShedThreshold:   1,
		ErrorHandler:    func(error) {},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		s.Close(ctx)
	})
	w := zerologsink.NewWriter(s)
	w.Write([]byte("{}")) // fills the queue
	w.Write([]byte("{}"))
	p := []byte(`{"level":"info","severity":"error"}`)

	old := zerolog.LevelFieldName
	zerolog.LevelFieldName = "severity"
	w.Write(p)
	zerolog.LevelFieldName = ""
	w.Write(p)
	zerolog.LevelFieldName = old
	w.Write(p)

	st := s.Stats()
	for _, tt := range []struct {
		level core.Level
		want  uint64
	}{
		{core.ErrorLevel, 1},
		{core.NoLevel, 1},
		{core.InfoLevel, 1},
	} {
		if got := st.DroppedByLevel.Get(tt.level); got != tt.want {
			t.Errorf("entries refused at level %q: got %d, want %d", tt.level, got, tt.want)
		}
	}
}
