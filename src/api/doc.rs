//! The answers every operation of the document may give because of how it is reached, not what
//! it does — added in one place rather than on each handler: a body can be malformed (400), too
//! large (413), of another type (415) or invalid (422); a query can be malformed or invalid; a
//! path's id can name nothing (404); a bearer route can answer 401 and, before a forced password
//! change, 403; any route that reads the database can find it unreachable (503). Every problem is
//! `application/problem+json`, and every answer has a description.

use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response};

use crate::api::error::PROBLEM_JSON;

pub struct StandardAnswers;

impl Modify for StandardAnswers {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with(super::PREFIX) || path.ends_with("/openapi.json") {
                continue;
            }
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_answers(operation);
            }
        }
    }
}

fn add_answers(operation: &mut Operation) {
    let located = |place: ParameterIn| {
        operation
            .parameters
            .iter()
            .flatten()
            .any(|parameter| match parameter {
                RefOr::T(parameter) => parameter.parameter_in == place,
                RefOr::Ref(_) => false,
            })
    };
    let mut codes: Vec<&str> = vec!["503"];
    if operation.request_body.is_some() {
        codes.extend(["400", "413", "415", "422"]);
    }
    if located(ParameterIn::Query) {
        codes.extend(["400", "422"]);
    }
    if located(ParameterIn::Path) {
        codes.push("404");
    }
    if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
        codes.extend(["401", "403"]);
    }
    let answers = &mut operation.responses.responses;
    for code in codes {
        answers
            .entry(code.to_owned())
            .or_insert_with(|| RefOr::T(Response::new(describe(code))));
    }
    for (code, answer) in answers.iter_mut() {
        let RefOr::T(answer) = answer else { continue };
        if answer.description.is_empty() {
            answer.description = describe(code).to_owned();
        }
        let problem = code.starts_with('4') || code.starts_with('5');
        if problem {
            // Every refusal is a Problem, served as application/problem+json.
            let schema = Ref::from_schema_name("Problem");
            answer.content.shift_remove("application/json");
            answer.content.insert(
                PROBLEM_JSON.to_owned(),
                RefOr::T(Content::new(Some(schema))),
            );
        }
    }
}

fn describe(code: &str) -> &'static str {
    match code {
        "200" => "成功",
        "201" => "已创建",
        "204" => "成功，无返回内容",
        "400" => "请求格式错误（无法解析的请求体或查询参数）",
        "401" => "未登录或登录已失效",
        "403" => "无权进行此操作，或须先修改密码",
        "404" => "资源不存在，或无权查看",
        "409" => "与当前状态冲突（版本已过期、阶段不符或重复）",
        "413" => "请求体过大",
        "415" => "不支持的请求类型",
        "422" => "内容不符合要求，errors 逐项说明",
        "429" => "登录失败次数过多，请稍后再试",
        "503" => "服务暂不可用（数据库无法连接或系统繁忙）",
        _ => "见状态码",
    }
}
