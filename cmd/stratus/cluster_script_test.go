package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"stratus/internal/clustertest"
	"stratus/trust"
)

// TestClusterScriptSurvivesDeaths runs `make cluster`'s script as a person
// would and tries its failover demo: kill -9 of an edge is reported and the
// edge comes back by itself; `restart <node>` restarts one at once; the
// signal that stops the script stops every node.
func TestClusterScriptSurvivesDeaths(t *testing.T) {
	clusterTest(t)
	bin := stratusBinary(t)
	dir := t.TempDir()
	// Far from the script's own ports (8080 …), so that a cluster a
	// person started keeps running beside this one.
	offset := 20000 + rand.IntN(400)*10
	env := append(os.Environ(), "STRATUS_BIN="+bin, "STRATUS_CLUSTER_DIR="+dir,
		"STRATUS_CLUSTER_PORT_OFFSET="+strconv.Itoa(offset))
	script := filepath.Join("..", "..", "scripts", "cluster.sh")

	// The script's output goes to a file, which the test reads as it grows.
	logPath := filepath.Join(t.TempDir(), "cluster.out")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	out := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	cmd := exec.Command("bash", script)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// Whatever happened, nothing of this cluster outlives the test.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Logf("script output:\n%s", out())
	})

	base := fmt.Sprintf("http://127.0.0.1:%d", 8080+offset)
	var op *trust.Token
	poll(t, 30*time.Second, "the cluster's three edges to be listed", func() (bool, string) {
		if op == nil {
			tok, err := trust.LoadToken(filepath.Join(dir, "operator.token"))
			if err != nil {
				return false, err.Error()
			}
			op = &tok
		}
		var edges []struct{ Name string }
		err := clustertest.GetJSON(clustertest.OperatorClient(*op), base+"/v1/edges", &edges)
		return err == nil && len(edges) == 3, fmt.Sprint(edges, err)
	})

	pidOf := func(node string) int {
		b, _ := os.ReadFile(filepath.Join(dir, node+".pid"))
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return pid
	}
	first := pidOf("eu-west-1")
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 eu-west-1 (pid %d): %v", first, err)
	}
	t.Logf("tried: kill -9 of eu-west-1 (pid %d)", first)
	poll(t, 15*time.Second, "eu-west-1 to be reported dead and started again", func() (bool, string) {
		pid := pidOf("eu-west-1")
		return strings.Contains(out(), "eu-west-1 died (killed by signal 9)") && pid != 0 && pid != first,
			fmt.Sprintf("pid %d", pid)
	})
	t.Logf("got: eu-west-1 back as pid %d; the other nodes kept running", pidOf("eu-west-1"))

	second := pidOf("eu-west-2")
	restart := exec.Command("bash", script, "restart", "eu-west-2")
	restart.Env = env
	if b, err := restart.CombinedOutput(); err != nil {
		t.Fatalf("restart eu-west-2: %v\n%s", err, b)
	}
	poll(t, 20*time.Second, "eu-west-2 to drain and start again", func() (bool, string) {
		pid := pidOf("eu-west-2")
		return pid != 0 && pid != second, fmt.Sprintf("pid %d", pid)
	})
	if bad := exec.Command("bash", script, "restart", "nope"); bad.Run() == nil {
		t.Error("restart of a node the cluster does not have succeeded")
	}

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatal("the script did not stop within 20 s of SIGTERM")
	}
	for _, node := range []string{"signal-1", "eu-west-1", "eu-west-2", "us-east-1"} {
		if pid := pidOf(node); pid != 0 {
			t.Errorf("%s (pid %d) outlived the script", node, pid)
		}
	}
	if strings.Count(out(), "restarted eu-west-1") != 1 {
		t.Errorf("eu-west-1 restarted %d times; want once", strings.Count(out(), "restarted eu-west-1"))
	}
}
