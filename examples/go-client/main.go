// Command vir-go-client sends one CheckRequest, written as protobuf JSON, to a
// vir-sidecar and prints the decision. It is the worked example of
// docs/integrating.md: a client written from the proto and that guide alone.
//
// Exit codes match `vir-sidecar check`: 0 the records system may fetch, 1 it
// may not (a deny, or an allow with an obligation this client does not know
// how to discharge), 2 no decision was received.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	authzv1 "github.com/vir-sidecar/vir-sidecar/examples/go-client/gen/vir/authz/v1"
)

const (
	exitFetch   = 0
	exitNoFetch = 1
	exitError   = 2
)

// knownObligations are the obligation codes this records system can
// discharge. An allow carrying any other obligation must not be acted on.
var knownObligations = map[string]bool{
	"notify_victim": true,
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("vir-go-client", flag.ContinueOnError)
	flags.SetOutput(stderr)
	address := flags.String("address", "127.0.0.1:50051", "sidecar HOST:PORT")
	requestPath := flags.String("request", "", "CheckRequest as protobuf JSON")
	timeout := flags.Duration("timeout", time.Second, "deadline of the Check call (docs/integrating.md)")
	if err := flags.Parse(args); err != nil {
		return exitError
	}
	if *requestPath == "" {
		fmt.Fprintln(stderr, "vir-go-client: -request is required")
		return exitError
	}
	request, err := loadRequest(*requestPath)
	if err != nil {
		fmt.Fprintf(stderr, "INVALID_REQUEST_FILE: %v\n", err)
		return exitError
	}

	// Plain text for the example; a deployment uses TLS or mTLS (docs/security.md).
	conn, err := grpc.NewClient(*address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintf(stderr, "INVALID_ADDRESS: %v\n", err)
		return exitError
	}
	defer conn.Close()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	response, err := authzv1.NewAuthorizationServiceClient(conn).Check(ctx, request)
	if err != nil {
		printError(stderr, err)
		return exitError
	}
	return printDecision(stdout, response)
}

func loadRequest(path string) (*authzv1.CheckRequest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	request := &authzv1.CheckRequest{}
	if err := protojson.Unmarshal(data, request); err != nil {
		return nil, err
	}
	return request, nil
}

// printError prints the status code and message, then each field the
// google.rpc.BadRequest detail names, so the caller need not parse the text.
func printError(stderr io.Writer, err error) {
	st, ok := status.FromError(err)
	if !ok {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return
	}
	// Print the canonical name, INVALID_ARGUMENT, as grpcurl and other clients do.
	fmt.Fprintf(stderr, "%s: %s\n", code.Code(st.Code()), st.Message())
	for _, detail := range st.Details() {
		if badRequest, ok := detail.(*errdetails.BadRequest); ok {
			for _, violation := range badRequest.GetFieldViolations() {
				fmt.Fprintf(stderr, "field %s: %s\n", violation.GetField(), violation.GetDescription())
			}
		}
	}
}

func printDecision(stdout io.Writer, response *authzv1.CheckResponse) int {
	// proto3 leaves allow=false off the wire: an absent allow is a deny.
	verdict := "DENY"
	if response.GetAllow() {
		verdict = "ALLOW"
	}
	fmt.Fprintf(stdout, "%s decision_id=%s policy_revision=%s\n",
		verdict, response.GetDecisionId(), response.GetPolicyRevision())
	printFindings(stdout, "reason", response.GetReasons())
	printFindings(stdout, "obligation", response.GetObligations())
	printFindings(stdout, "advice", response.GetAdvice())
	if !response.GetAllow() {
		return exitNoFetch
	}
	for _, obligation := range response.GetObligations() {
		if !knownObligations[obligation.GetCode()] {
			fmt.Fprintf(stdout, "NOT FETCHING: unrecognised obligation %s\n", obligation.GetCode())
			return exitNoFetch
		}
	}
	return exitFetch
}

func printFindings(stdout io.Writer, kind string, findings []*authzv1.Finding) {
	for _, finding := range findings {
		fmt.Fprintf(stdout, "%s %s: %s [%s]\n",
			kind, finding.GetCode(), finding.GetMessage(), finding.GetReference())
	}
}
