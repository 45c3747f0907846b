package main
import ("testing";"time";"log/slog";"fmt";"os")
func TestConv(t *testing.T) {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	quiet := slog.New(slog.DiscardHandler)
	b := &bench{log: quiet, key: make([]byte, 32), seedIdx: map[int]bool{}}
	defer b.closeAll()
	t0 := time.Now()
	for i := range 40 {
		if i == 39 { b.log = log.With("new", true) }
		b.add()
		if i == 0 || i == 2 { b.seeds = b.seeds[:0]; for _, s := range b.members { b.seeds = append(b.seeds, s.pool.LocalAddr()) } }
		if i+1 == 39 { if err := b.waitConverged(i+1, 60*time.Second); err != nil { t.Fatal(err) }; fmt.Println(i+1, time.Since(t0).Round(time.Millisecond)) }
	}
	for range 8 {
		var lacking []string
		for _, m := range b.members { if m.pool.Stats().Members != 40 { lacking = append(lacking, m.pool.Name()) } }
		fmt.Println(time.Since(t0).Round(time.Millisecond), len(lacking), lacking)
		time.Sleep(500*time.Millisecond)
	}
}
