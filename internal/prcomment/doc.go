// Package prcomment keeps one comment of sigmagate's on a pull request:
// created once, then updated in place on every run, so that a pull request
// gathers no pile of reports. A hidden first line (Marker) names the agents
// the comment is about, so that jobs gating different agents keep one each.
//
// Only comments that the token's own identity wrote are ever touched: a
// person or another tool that pastes the marker does not make a comment ours.
package prcomment
