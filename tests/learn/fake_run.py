#!/usr/bin/python3
"""A stand-in for `edgetwin run FILE --seed S --agent-fd 3 --out DIR ...` that speaks the agent
protocol (policies/agent_wire/include/edgetwin/agent_wire/agent_wire.hpp, version 2) without a
simulation, so that the trainer's handling of several networks of different kinds can be tested
directly: a branched DQN bandit and a supervised classifier in one run.

- network "bandit" (DQN, branches [2, 3], state [1]): reward 1 for the tuple (1, 2), else 0, each
  decision terminal;
- network "halfplane" (supervised classification, 2 inputs, 2 classes): label 1 when x0 + x1 > 0;
  training runs send 300 examples, every run asks 200 predictions on fresh points.
The run writes DIR/fake.json: the accuracy of the predictions and the bandit's greedy tuple counts.
"""
import json
import os
import random
import struct
import sys

HELLO, WELCOME, ACT, ACTION, OBSERVE, END, PREDICT, PREDICTION, SAMPLE = 1, 2, 3, 4, 5, 6, 7, 8, 9


class Wire:
    def __init__(self, fd):
        self.f = os.fdopen(fd, "r+b", buffering=0)

    def send(self, kind, payload):
        self.f.write(struct.pack("<BI", kind, len(payload)) + payload)

    def read_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.f.read(n - len(data))
            if not chunk:
                raise SystemExit("fake_run: the trainer closed the connection")
            data += chunk
        return data

    def receive(self):
        kind, size = struct.unpack("<BI", self.read_exact(5))
        return kind, self.read_exact(size)

    def hello(self, request):
        request = dict(request, run={"scenario": "fake", "scenario_hash": "0" * 16, "seed": 0}, protocol=2)
        self.send(HELLO, json.dumps(request).encode())
        kind, payload = self.receive()
        assert kind == WELCOME, kind
        welcome = json.loads(payload)
        if "error" in welcome:
            raise SystemExit("fake_run: refused: " + welcome["error"])
        return welcome["id"], welcome["learning"]

    def act(self, net, state):
        self.send(ACT, struct.pack("<HI", net, len(state)) + struct.pack("<%df" % len(state), *state))
        kind, payload = self.receive()
        assert kind == ACTION, kind
        (d,) = struct.unpack_from("<I", payload)
        return list(struct.unpack_from("<%di" % d, payload, 4))

    def observe(self, net, state, action, reward, next_state, done):
        payload = struct.pack("<HI", net, len(action)) + struct.pack("<%di" % len(action), *action)
        payload += struct.pack("<ddBI", reward, 1.0, 1 if done else 0, len(state))
        payload += struct.pack("<%df" % len(state), *state) + struct.pack("<%df" % len(next_state), *next_state)
        self.send(OBSERVE, payload)

    def predict(self, net, x):
        self.send(PREDICT, struct.pack("<HI", net, len(x)) + struct.pack("<%df" % len(x), *x))
        kind, payload = self.receive()
        assert kind == PREDICTION, kind
        (m,) = struct.unpack_from("<I", payload)
        return list(struct.unpack_from("<%df" % m, payload, 4))

    def sample(self, net, x, target):
        self.send(SAMPLE, struct.pack("<HI", net, len(x)) + struct.pack("<%df" % len(x), *x) +
                  struct.pack("<I", len(target)) + struct.pack("<%df" % len(target), *target))


def main():
    args = sys.argv[1:]
    seed = int(args[args.index("--seed") + 1])
    out = args[args.index("--out") + 1]
    wire = Wire(int(args[args.index("--agent-fd") + 1]))
    rng = random.Random(seed)
    bandit, learning = wire.hello({"policy": "fake", "network": "bandit", "state_names": ["one"], "action_names": [],
                                   "checkpoint": "",
                                   "learner": {"kind": "dqn", "state_dim": 1, "branches": [2, 3], "action_count": 6,
                                               "hidden": [16], "learning_rate": 0.01, "batch_size": 16,
                                               "warmup": 32, "update_every": 1, "target_update_every": 10,
                                               "epsilon": {"start": 1.0, "end": 0.3, "decay_decisions": 600},
                                               "seed": 2}})
    halfplane, _ = wire.hello({"policy": "fake", "network": "halfplane", "state_names": ["x0", "x1"],
                               "action_names": [], "checkpoint": "",
                               "learner": {"kind": "supervised", "task": "classification", "inputs": 2,
                                           "outputs": 2, "hidden": [16], "learning_rate": 0.02,
                                           "batch_size": 32, "epochs": 5, "seed": 3}})
    greedy = {}
    for _ in range(300):
        action = wire.act(bandit, [1.0])
        greedy[str(action)] = greedy.get(str(action), 0) + 1
        wire.observe(bandit, [1.0], action, 1.0 if action == [1, 2] else 0.0, [1.0], True)
        if learning:
            x = [rng.uniform(-1, 1), rng.uniform(-1, 1)]
            wire.sample(halfplane, x, [1.0 if x[0] + x[1] > 0 else 0.0])
    correct = 0
    for _ in range(200):
        x = [rng.uniform(-1, 1), rng.uniform(-1, 1)]
        logits = wire.predict(halfplane, x)
        correct += (logits[1] > logits[0]) == (x[0] + x[1] > 0)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "fake.json"), "w") as f:
        json.dump({"accuracy": correct / 200, "actions": greedy}, f)
    wire.send(END, json.dumps({"overall": {"requests_completed": 300}, "simulated_end_s": 300.0}).encode())


if __name__ == "__main__":
    main()
