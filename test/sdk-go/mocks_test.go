// The shared SDK scenario (test/support/sdkWire.ts) through the generated Go SDK under Pulumi's
// mocks (pulumi.RunErr with pulumi.WithMocks). It writes what each RegisterResource request carries
// on the wire (the raw property struct, secrets still wrapped) to $SDK_WIRE_OUT, for
// test/sdk-go.test.ts to compare with the TypeScript classes' wire.
package sdkgotest

import (
	"encoding/json"
	"os"
	"sync"
	"testing"

	sendgridbatch "github.com/pulumi-sendgrid-scheduled-batch/pulumi-sendgrid-scheduled-batch/sdk/go/sendgridbatch"
	// Every package of the SDK is built and vetted, so go.sum must cover the config package's imports too.
	_ "github.com/pulumi-sendgrid-scheduled-batch/pulumi-sendgrid-scheduled-batch/sdk/go/sendgridbatch/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type scenario struct {
	APIKey        string `json:"apiKey"`
	OnBehalfOf    string `json:"onBehalfOf"`
	APIURL        string `json:"apiUrl"`
	SendAtSeconds int    `json:"sendAtSeconds"`
	SendAtIso     string `json:"sendAtIso"`
	BatchID       string `json:"batchId"`
}

type registration struct {
	Type                    string         `json:"type"`
	Name                    string         `json:"name"`
	Object                  map[string]any `json:"object"`
	Provider                string         `json:"provider"`
	Version                 string         `json:"version"`
	AdditionalSecretOutputs []string       `json:"additionalSecretOutputs"`
}

type mocks struct {
	mu            sync.Mutex
	registrations []registration
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	req := args.RegisterRPC
	m.mu.Lock()
	m.registrations = append(m.registrations, registration{
		Type:                    req.GetType(),
		Name:                    req.GetName(),
		Object:                  req.GetObject().AsMap(),
		Provider:                req.GetProvider(),
		Version:                 req.GetVersion(),
		AdditionalSecretOutputs: append([]string{}, req.GetAdditionalSecretOutputs()...),
	})
	m.mu.Unlock()
	return args.Name + "-id", args.Inputs, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

func TestScenarioUnderMocks(t *testing.T) {
	var s scenario
	if err := json.Unmarshal([]byte(os.Getenv("SDK_SCENARIO")), &s); err != nil {
		t.Fatalf("SDK_SCENARIO: %v", err)
	}
	m := &mocks{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		eu, err := sendgridbatch.NewProvider(ctx, "eu", &sendgridbatch.ProviderArgs{
			ApiKey:     pulumi.String(s.APIKey),
			Region:     sendgridbatch.RegionEu,
			OnBehalfOf: pulumi.String(s.OnBehalfOf),
			ApiUrl:     pulumi.String(s.APIURL),
		})
		if err != nil {
			return err
		}
		_, err = sendgridbatch.NewScheduledBatch(ctx, "newsletter", &sendgridbatch.ScheduledBatchArgs{
			Status:  sendgridbatch.BatchStatusPaused,
			SendAt:  pulumi.Int(s.SendAtSeconds),
			BatchId: pulumi.String(s.BatchID),
		}, pulumi.Provider(eu))
		if err != nil {
			return err
		}
		_, err = sendgridbatch.NewScheduledBatch(ctx, "digest", &sendgridbatch.ScheduledBatchArgs{
			Status: sendgridbatch.BatchStatusCancelled,
			SendAt: pulumi.String(s.SendAtIso),
		})
		return err
	}, pulumi.WithMocks("sdk", "test", m))
	if err != nil {
		t.Fatalf("the program failed under mocks: %v", err)
	}
	out, _ := json.Marshal(m.registrations)
	if path := os.Getenv("SDK_WIRE_OUT"); path != "" {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.registrations) != 3 {
		t.Fatalf("expected 3 registrations, got %s", out)
	}
}
