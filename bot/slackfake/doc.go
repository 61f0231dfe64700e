// Package slackfake is a fake Slack for jitgate's tests and its local demo.
//
// It fakes Slack only at its HTTP and WebSocket boundary, so the bot runs its
// real slack-go code against it: a Web API under URL()+"/api/" (point
// slack.OptionAPIURL at APIURL()), apps.connections.open handing out a Socket
// Mode WebSocket under URL()+"/socket", response_url endpoints under
// URL()+"/response/", and deliveries of slash commands, button clicks and
// modal submissions to the bot either as signed HTTP requests (HTTPTarget) or
// as Socket Mode envelopes (SocketMode). Tests set up users, groups and
// channels, inject faults, and read back every call and every message. The
// page at URL()+"/" shows the workspace in a browser for `make demo`.
//
// This is test and demo code: `jitgate serve` never starts it in production.
package slackfake
