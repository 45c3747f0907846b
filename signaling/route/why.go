package route

import "fmt"

func unknownTitleWhy(title string) string {
	if title == "" {
		return "no title requested"
	}
	return "no edge offers " + title
}

// winnerWhy explains the winner to the player: the best in their region,
// the best anywhere, or the nearest free region when theirs had no room.
func winnerWhy(req *Request, t *tally, w *Candidate) string {
	detail := fmt.Sprintf("%s, rtt %.1fms %s, load %.2f, %d free", w.Edge, millis(w.RTT), w.RTTSource, w.Load, w.Free)
	switch {
	case req.Region == "":
		return fmt.Sprintf("lowest cost of %s with room: %s (score %.1f)", edgesCount(t.eligible), detail, w.Score)
	case w.Region == req.Region:
		return fmt.Sprintf("lowest cost of %s with room in your region %s: %s (score %.1f)", edgesCount(t.eligibleIn), req.Region, detail, w.Score)
	}
	var home string
	switch {
	case t.offeringIn > 0:
		home = "all edges busy in " + req.Region
	case t.edgesIn > 0:
		home = fmt.Sprintf("no edge in %s offers %s", req.Region, req.Title)
	default:
		home = "no edges in " + req.Region
	}
	if w.Region == "" {
		return fmt.Sprintf("%s; placed on the nearest free edge (%s)", home, detail)
	}
	return fmt.Sprintf("%s; placed in nearest free region %s (%s)", home, w.Region, detail)
}

func edgesCount(n int) string {
	if n == 1 {
		return "1 edge"
	}
	return fmt.Sprintf("%d edges", n)
}
