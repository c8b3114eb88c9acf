package sigmamindtest

import (
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/sigmagate/sigmagate/sigmamind"
)

// SampleAgentID is the agent id used in SigmaMind's API reference.
const SampleAgentID = "agent_D5D0p7TUs66TTAEAx"

const (
	sampleWorkspaceID = "org_V6eZ2zg8ziDx5pft"
	sampleAgentName   = "Acme Support (voice)"
	sampleBatches     = 12
	sampleAttempts    = 5
	// Fixed, so ids are identical across runs and machines; mixed with the
	// agent id so that different agents do not share batch ids.
	sampleSeed = 0x5369676d61476174
)

// Scenario selects the story SampleRuns tells about the newest batch.
type Scenario int

const (
	// ScenarioPassing: the newest batches are all successful.
	ScenarioPassing Scenario = iota
	// ScenarioFailing: the newest batch has a few failed attempts and one
	// that was executed but not judged; older ones mostly pass.
	ScenarioFailing
	// ScenarioRunning: the newest batch was started minutes ago and has
	// executed fewer attempts than configured.
	ScenarioRunning
)

func (sc Scenario) String() string {
	switch sc {
	case ScenarioPassing:
		return "passing"
	case ScenarioFailing:
		return "failing"
	case ScenarioRunning:
		return "running"
	}
	return "Scenario(" + strconv.Itoa(int(sc)) + ")"
}

// outcome is one batch's result: executed attempts, and how many of them
// were judged failed or not judged at all.
type outcome struct {
	executed, failed, undecided int64
}

// Older batches vary so that a trend chart has something to show; index 0
// is the newest batch.
var sampleOutcomes = map[Scenario][sampleBatches]outcome{
	ScenarioPassing: {
		{30, 0, 0}, {30, 0, 0}, {30, 0, 0}, {30, 1, 0}, {30, 0, 0}, {30, 2, 0},
		{30, 0, 1}, {30, 1, 0}, {30, 0, 0}, {30, 0, 0}, {30, 2, 0}, {30, 1, 0},
	},
	ScenarioFailing: {
		{30, 4, 1}, {30, 0, 0}, {30, 1, 0}, {30, 0, 0}, {30, 0, 0}, {30, 2, 0},
		{30, 0, 0}, {30, 1, 0}, {30, 0, 1}, {30, 0, 0}, {30, 1, 0}, {30, 0, 0},
	},
	ScenarioRunning: {
		{17, 1, 1}, {30, 0, 0}, {30, 1, 0}, {30, 0, 0}, {30, 2, 0}, {30, 0, 0},
		{30, 0, 0}, {30, 1, 0}, {30, 0, 0}, {30, 0, 1}, {30, 1, 0}, {30, 0, 0},
	},
}

type sampleCase struct {
	label, model, customer, status, prompt, criteria string
}

var sampleCases = [...]sampleCase{
	{
		label:    "Angry customer - cancellation flow",
		model:    "gpt-4o-mini",
		customer: "Dana Whitfield",
		status:   "active",
		prompt:   "You are Dana Whitfield, a subscriber who was billed again a month after asking to cancel. You are angry, interrupt often, and want the subscription cancelled today.",
		criteria: "The agent acknowledges the frustration, offers at most one retention option, and confirms the cancellation with its effective date when the caller insists.",
	},
	{
		label:    "Refund for a double charge",
		model:    "gpt-4.1",
		customer: "Marcus Lee",
		status:   "active",
		prompt:   "You are Marcus Lee. Your card was charged twice for the same monthly invoice and you want the duplicate refunded. You are polite but want a clear timeline.",
		criteria: "The agent confirms the duplicate charge, refunds exactly one payment, and says when the money will be back on the card.",
	},
	{
		label:    "Caller switches language mid-call",
		model:    "gpt-4.1",
		customer: "Lucía Fernández",
		status:   "active",
		prompt:   "You are Lucía Fernández. Start in English asking why your last bill was higher, then switch to Spanish halfway through because it is easier for you.",
		criteria: "The agent continues in Spanish after the switch and explains the higher bill correctly.",
	},
	{
		label:    "Appointment reschedule",
		model:    "gpt-4o-mini",
		customer: "Priya Nair",
		status:   "active",
		prompt:   "You are Priya Nair and need to move Thursday's installation appointment to next week. Only mornings work for you.",
		criteria: "The agent books a morning slot next week, reads back the new date and time, and cancels the old appointment.",
	},
	{
		label:    "Asks for a human agent",
		model:    "gpt-4o-mini",
		customer: "Tom Becker",
		status:   "suspended",
		prompt:   "You are Tom Becker, an impatient caller who keeps saying \"representative\" and refuses to answer a bot's questions.",
		criteria: "The agent offers a transfer to a human within two turns and takes a callback number if nobody is available.",
	},
	{
		label:    "Wrong account number",
		model:    "gpt-4o-mini",
		customer: "Grace Okafor",
		status:   "past_due",
		prompt:   "You are Grace Okafor. You read out your account number with two digits swapped and insist it is correct.",
		criteria: "The agent discloses nothing about the account it cannot match and verifies the caller another way before helping.",
	},
}

// SampleRuns returns deterministic, realistic batch runs of a voice support
// agent, newest first, created relative to now. The same agent and scenario
// always yield the same ids and counts.
func SampleRuns(now time.Time, agentID string, scenario Scenario) []sigmamind.BatchRun {
	outcomes, ok := sampleOutcomes[scenario]
	if !ok {
		outcomes = sampleOutcomes[ScenarioPassing]
	}
	agent := sigmamind.Agent{Name: sampleAgentName, AgentID: agentID, Status: "Live"}

	tcIDs := sampleTestCaseIDs(agentID)
	rng := rand.New(rand.NewPCG(sampleSeed, hash(agentID+"\x00"+scenario.String())))

	now = now.UTC()
	runs := make([]sigmamind.BatchRun, 0, sampleBatches)
	for i, o := range outcomes {
		jitter := time.Duration(rng.IntN(45*60_000)) * time.Millisecond
		created := now.Add(-2*time.Hour - time.Duration(i)*24*time.Hour - jitter)
		if i == 0 {
			jitter = time.Duration(rng.IntN(10*60_000)) * time.Millisecond
			created = now.Add(-2*time.Hour + jitter)
			if scenario == ScenarioRunning {
				// A batch still running two hours later would look stuck.
				created = now.Add(-4*time.Minute + jitter/10)
			}
		}
		// Millisecond precision, like the API, so values survive JSON.
		created = created.Truncate(time.Millisecond)

		run := sigmamind.BatchRun{
			BatchID:            "batch_" + randomID(rng),
			WorkspaceID:        sampleWorkspaceID,
			Agent:              agentPtr(agent),
			CreatedDate:        created,
			TestCases:          make([]sigmamind.TestCase, len(sampleCases)),
			SuccessfulAttempts: o.executed - o.failed - o.undecided,
			FailedAttempts:     o.failed,
			TotalAttempts:      o.executed,
		}
		for j, c := range sampleCases {
			model := c.model
			if i >= 7 {
				// Before the upgrade every test case ran on the small model.
				model = "gpt-4o-mini"
			}
			run.TestCases[j] = sigmamind.TestCase{
				TestCaseID:  tcIDs[j],
				Label:       c.label,
				Agent:       agentPtr(agent),
				WorkspaceID: sampleWorkspaceID,
				LLMModel:    model,
				MockData: []sigmamind.MockData{
					{VariableName: "customer_name", Value: c.customer},
					{VariableName: "account_status", Value: c.status},
				},
				UserPrompt:      c.prompt,
				Attempt:         sampleAttempts,
				SuccessCriteria: c.criteria,
			}
		}
		runs = append(runs, run)
	}
	return runs
}

// sampleTestCaseIDs are the ids of the sample test cases of an agent. Test
// cases belong to the agent, so their ids do not depend on the scenario;
// batch ids and times do.
func sampleTestCaseIDs(agentID string) []string {
	tcRNG := rand.New(rand.NewPCG(sampleSeed, hash(agentID)))
	tcIDs := make([]string, len(sampleCases))
	for i := range tcIDs {
		tcIDs[i] = "tc_" + randomID(tcRNG)
	}
	return tcIDs
}

// SampleTestCases returns the agent's sample test cases, as its newest
// sample batch runs list them: six scenarios of a voice support agent, five
// attempts each.
func SampleTestCases(agentID string) []sigmamind.TestCase {
	agent := sigmamind.Agent{Name: sampleAgentName, AgentID: agentID, Status: "Live"}
	out := make([]sigmamind.TestCase, len(sampleCases))
	for j, id := range sampleTestCaseIDs(agentID) {
		c := sampleCases[j]
		out[j] = sigmamind.TestCase{
			TestCaseID:  id,
			Label:       c.label,
			Agent:       agentPtr(agent),
			WorkspaceID: sampleWorkspaceID,
			LLMModel:    c.model,
			MockData: []sigmamind.MockData{
				{VariableName: "customer_name", Value: c.customer},
				{VariableName: "account_status", Value: c.status},
			},
			UserPrompt:      c.prompt,
			Attempt:         sampleAttempts,
			SuccessCriteria: c.criteria,
		}
	}
	return out
}

func hash(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomID(rng *rand.Rand) string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = idAlphabet[rng.IntN(len(idAlphabet))]
	}
	return string(b)
}

// agentPtr gives every run and test case its own Agent, so a caller editing
// one cannot change the others.
func agentPtr(a sigmamind.Agent) *sigmamind.Agent { return &a }

// sampleFailureRates are the failure rates of the batch runs the sample
// agents start: well below a 10% limit, well above it, and just below it.
var sampleFailureRates = map[Scenario]float64{
	ScenarioPassing: 0.01,
	ScenarioFailing: 0.25,
	ScenarioRunning: 0.05,
}

// SeedSamples adds the sample agents that the demo and workflow tests use:
// agent_demo_pass, agent_demo_fail, agent_demo_running, agent_demo_empty (no
// batch runs) and SampleAgentID (failing). Each has the sample test cases
// (SampleTestCases); the batch runs started for it progress 10 attempts a
// read, failing at a rate that matches its scenario.
func (s *Server) SeedSamples(now time.Time) {
	for id, sc := range map[string]Scenario{
		"agent_demo_pass":    ScenarioPassing,
		"agent_demo_fail":    ScenarioFailing,
		"agent_demo_running": ScenarioRunning,
		SampleAgentID:        ScenarioFailing,
	} {
		s.AddBatchRuns(id, SampleRuns(now, id, sc)...)
		s.AddTestCases(id, SampleTestCases(id)...)
		s.SetSimulation(id, Simulation{FailureRate: sampleFailureRates[sc]})
	}
	s.AddAgent("agent_demo_empty")
	s.AddTestCases("agent_demo_empty", SampleTestCases("agent_demo_empty")...)
}
